/**
 * `fmeaflow replay`: runs a recording through the whole engine in-process, without a broker or
 * registry, and prints what the engine found: the ranked actions, drift, log and CAN clusters.
 * Inputs are read exactly as `produce` reads them (same parsing, batching, DBC decoding), and every
 * window of the recording closes at its end.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { replayEngine } from '../replay-engine.ts';
import { renderReplaySummary, summarizeReplay } from '../replay-summary.ts';
import { DRIVE_TIMING, FLEET_TIMING } from '../topology.ts';
import { readManifest } from '../../vehicle-producer/drive/drive-manifest.ts';
import { loadDbcFiles } from '../../vehicle-producer/dbc/signal-decoder.ts';
import { driveRecords, sourceRecords, type RecordedInputOptions, type RecordedRecords } from '../../vehicle-producer/publish/recorded-records.ts';
import { candumpTimeOptions } from '../../vehicle-producer/sources/candump-time-flags.ts';
import { parseBitrates, sourcesFor } from './produce.ts';

interface ReplayOpts {
  dbc: string[];
  vehicleId?: string;
  batchMs: string;
  signalIntervalMs: string;
  candumpTimestamps?: string;
  candumpBaseTime?: string;
  candumpTzOffset?: string;
  rules?: string;
  policies?: string;
  canNetwork?: string;
  bitrate: string[];
  timing: string;
  top: string;
  json: boolean;
}

function bad(msg: string): never {
  throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, msg);
}

function wholeNumber(flag: string, v: string, min: number, max: number, example: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) bad(`${flag} '${v}': give a whole number ${min}-${max} (e.g. ${flag} ${example})`);
  return n;
}

/** Drive folders play as one fleet; a folder with manifest.json is all of its drives; files are merged in event time. */
async function recordsOf(inputs: readonly string[], o: ReplayOpts, common: RecordedInputOptions): Promise<RecordedRecords> {
  const drives: string[] = [];
  const files: string[] = [];
  for (const input of inputs) {
    if (!existsSync(input)) bad(`input '${input}' does not exist; give a drive folder (e.g. drives/can-timeout), a candump .log or a .jsonl file`);
    if (statSync(input).isDirectory() && existsSync(join(input, 'manifest.json'))) drives.push(...readManifest(input).drives.map((d) => join(input, d.path)));
    else if (statSync(input).isDirectory()) {
      sourcesFor(input, undefined);
      drives.push(input);
    } else files.push(input);
  }
  if (drives.length > 0 && files.length > 0) bad('give either drive folders or capture files (candump, JSONL), not both: their clocks are unrelated');
  if (o.vehicleId !== undefined && files.filter((f) => sourcesFor(f, undefined)[0]?.type === 'candump').length > 1) bad('--vehicle-id names the vehicle of one candump file; with several, each file\'s name is its vehicle id');
  if (drives.length > 0) return driveRecords(drives, common);
  return sourceRecords(files.flatMap((f) => sourcesFor(f, o.vehicleId)), common);
}

/** Registers the `replay` command. */
export function register(program: Command): void {
  program
    .command('replay')
    .description('Run drives or your own capture through the whole engine in-process (no broker) and print the ranked actions, drift and clusters')
    .argument('<inputs...>', 'drive folders (drives/<name>, or drives for all), candump logs (.log, .log.gz) or JSONL files (*metrics|spans|logs|releases*.jsonl)')
    .option('--dbc <file[,file]>', 'decode CAN frames with these DBC files (repeatable), as produce --dbc does', (v: string, acc: string[]) => [...acc, ...v.split(',').map((x) => x.trim()).filter(Boolean)], [] as string[])
    .option('--vehicle-id <id>', 'vehicle id for a candump file (default: file name)')
    .option('--batch-ms <ms>', 'CAN batching interval per vehicle', '100')
    .option('--signal-interval-ms <ms>', 'with --dbc: event time between two points of one signal', '1000')
    .option('--candump-timestamps <style>', 'candump files: absolute (default), zero (-tz) or delta (-td)')
    .option('--candump-base-time <time>', 'candump files: epoch the relative stamps start at (ISO 8601 with a zone, or epoch seconds)')
    .option('--candump-tz-offset <±HH:MM>', 'candump files: the UTC offset candump -tA printed its local dates in')
    .option('--bitrate <bus=bps>', 'nominal bitrate of a bus for bus load, as produce --bitrate (repeatable; e.g. --bitrate can0=500000; a bare number applies to every bus)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--can-network <file>', 'CAN networks per vehicle model, as worker --can-network (default config/can-networks.yaml; other models get a learned schedule)')
    .option('--rules <dir>', 'FMEA worksheets to evaluate (default fmea-rules/)')
    .option('--policies <file>', 'suppression policy file (default config/suppression-policies.yaml)')
    .option('--timing <drive|fleet>', 'window sizes: drive (default; seconds-long windows for recordings of minutes) or fleet (the worker default)', 'drive')
    .option('--top <n>', 'rows per table in the text output', '15')
    .option('--json', 'print the summary as JSON (for scripts)', false)
    .action(async (inputs: string[], o: ReplayOpts) => {
      if (o.timing !== 'drive' && o.timing !== 'fleet') bad(`--timing '${o.timing}': use drive (default) or fleet`);
      const top = wholeNumber('--top', o.top, 1, 10_000, '15');
      const batchMs = wholeNumber('--batch-ms', o.batchMs, 1, 60_000, '100');
      const signalIntervalMs = wholeNumber('--signal-interval-ms', o.signalIntervalMs, 1, 3_600_000, '1000');
      if (o.rules !== undefined && !existsSync(o.rules)) bad(`--rules '${o.rules}' does not exist; give a folder of worksheets such as fmea-rules/`);
      if (o.policies !== undefined && !existsSync(o.policies)) bad(`--policies '${o.policies}' does not exist; give a policy file such as config/suppression-policies.yaml`);
      if (o.canNetwork !== undefined && !existsSync(o.canNetwork)) bad(`--can-network '${o.canNetwork}' does not exist; give a CAN network file such as config/can-networks.yaml`);
      const bitrates = parseBitrates(o.bitrate);
      const common: RecordedInputOptions = {
        ...bitrates,
        batchMs,
        ...(o.dbc.length > 0 ? { dbc: loadDbcFiles(o.dbc), signalIntervalMs } : {}),
        candumpTime: candumpTimeOptions({ timestamps: o.candumpTimestamps, baseTime: o.candumpBaseTime, tzOffset: o.candumpTzOffset }),
      };
      const { records, report } = await recordsOf(inputs, o, common);
      const result = replayEngine(records, {
        timing: o.timing === 'fleet' ? FLEET_TIMING : DRIVE_TIMING,
        ...(o.rules !== undefined ? { rulesDir: o.rules } : {}),
        ...(o.policies !== undefined ? { policiesFile: o.policies } : {}),
        ...(o.canNetwork !== undefined ? { canNetworkFile: o.canNetwork } : {}),
      });
      const summary = summarizeReplay(result);
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ input: { records: records.length, frames: report.frames, inputErrors: report.inputErrors, issues: report.issues }, ...summary })}\n`);
        return;
      }
      process.stdout.write(`${inputs.join(' ')}: ${records.length} records (${report.frames} CAN frames)${report.inputErrors ? `, ${report.inputErrors} input lines skipped` : ''}\n\n`);
      process.stdout.write(renderReplaySummary(summary, top));
    });
}
