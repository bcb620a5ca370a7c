/**
 * `fmeaflow produce`: publishes recorded drives, candump captures, JSONL record files or
 * a live SocketCAN interface to Kafka (Avro via the schema registry), with pacing,
 * fan-out, batching, a bandwidth cap, adaptive log sampling and store-and-forward.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { replayDrive, replaySources, type ReplayOptions, type ReplayResult } from '../../vehicle-producer/publish/replay.ts';
import type { ReplaySource } from '../../vehicle-producer/drive/drive-reader.ts';
import { kindFromFileName } from '../../vehicle-producer/sources/jsonl-source.ts';
import { openSocketcan, socketcanProblem } from '../../vehicle-producer/sources/socketcan-source.ts';
import { FrameQueue } from '../../vehicle-producer/sources/frame-queue.ts';
import { progressLine } from '../../vehicle-producer/progress-line.ts';
import { producerRegistry } from '../../vehicle-producer/producer-metrics.ts';
import { startMetricsServer } from '../runtime/observability/metrics-server.ts';
import { startTracing } from '../runtime/observability/tracing.ts';
import { candumpTimeOptions } from '../../vehicle-producer/sources/candump-time-flags.ts';
import { loadDbcFiles } from '../../vehicle-producer/dbc/signal-decoder.ts';

interface ProduceOpts {
  bitrate: string[];
  speed: string;
  fanOut: string;
  fanOutOffsetMs: string;
  batchMs: string;
  bandwidthBps?: string;
  vehicleId?: string;
  live?: string;
  spoolDir?: string;
  sampleLogs: boolean;
  brokers?: string;
  registryUrl?: string;
  dryRun: boolean;
  metricsPort?: string;
  metricsHost: string;
  candumpTimestamps?: string;
  candumpBaseTime?: string;
  candumpTzOffset?: string;
  dbc: string[];
  signalIntervalMs: string;
  spoolMaxBytes?: string;
  drainTimeoutMs: string;
  tracing?: boolean;
}

function bad(msg: string): never {
  throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, msg);
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };
/** Smallest spool worth having: a few dozen CAN batches. */
const MIN_SPOOL_BYTES = 64 * 1024;

/** Bytes from `65536`, `512KiB`, `64MiB`, `2GiB` (binary units; KB/MB/GB read the same). */
function parseByteSize(name: string, v: string, min: number): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  const unit = m ? BYTE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) bad(`${name} '${v}' is not a size: give bytes or a number with KiB, MiB or GiB (e.g. 64MiB)`);
  const n = Math.floor(Number(m[1]) * unit);
  if (n < min) bad(`${name} '${v}' is below the minimum of ${min / 1024} KiB (e.g. 64MiB)`);
  return n;
}

function num(name: string, v: string, min: number, integer = false): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) bad(`${name} '${v}' must be ${integer ? 'an integer' : 'a number'} ≥ ${min}`);
  return n;
}

/** Classifies an input path into replay sources (a drive folder: none, it is read with its drive.json); `fmeaflow replay` reads inputs the same way. */
export function sourcesFor(input: string, vehicleId: string | undefined): ReplaySource[] {
  if (!existsSync(input)) bad(`input '${input}' does not exist; give a drive folder (e.g. drives/clean), a candump .log or a .jsonl file`);
  if (statSync(input).isDirectory()) {
    if (!existsSync(join(input, 'drive.json'))) bad(`folder '${input}' is not a drive (no drive.json); see drives/README.md`);
    return [];
  }
  const name = basename(input).replace(/\.gz$/, '');
  if (name.endsWith('.jsonl')) {
    const kind = kindFromFileName(name);
    if (!kind) bad(`cannot tell the record kind of '${input}': name it *metrics*.jsonl, *spans*.jsonl, *logs*.jsonl or *releases*.jsonl`);
    return [{ type: 'jsonl', file: input, kind }];
  }
  return [{ type: 'candump', file: input, vehicleId: vehicleId ?? name.replace(/\.(log|candump|txt)$/, '') }];
}

function summary(label: string, r: ReplayResult): string {
  const lines = [
    `${label}: ${r.frames} frames → ${r.records.can} CAN batches; ${r.records.metrics} metrics, ${r.records.spans} spans, ${r.records.logs} logs (${r.logsSampledOut} sampled out), ${r.records.releases} releases`,
    `  ${(r.bytes / 1e6).toFixed(2)} MB Avro in ${(r.elapsedMs / 1000).toFixed(1)} s (${Math.round(r.frames / Math.max(r.elapsedMs / 1000, 0.001))} frames/s), ${r.droppedFrames} frames over the bandwidth cap`,
  ];
  if (r.eventStartMs !== null) lines.push(`  event time ${isoDate(r.eventStartMs)} → ${isoDate(r.eventStartMs + r.eventSpanMs)} (${(r.eventSpanMs / 1000).toFixed(1)} s)`);
  if (r.pacingGapsSkipped > 0) lines.push(`  ${r.pacingGapsSkipped} gaps in event time longer than the pacing wait bound were skipped, not waited out`);
  if (r.outOfOrderFrames > 0) lines.push(`  ${r.outOfOrderFrames} frames behind an already sent batch of their vehicle and bus were not sent (input out of time order)`);
  if (r.sink) lines.push(`  sent ${r.sink.sent}, spooled ${r.sink.spooled}, still spooled ${r.sink.spoolPending}, spool drops ${r.sink.spoolDropped} (${r.sink.mode})`);
  if (r.sink && r.sink.spoolDropped > 0) lines.push(`  the spool was full: its ${r.sink.spoolDropped} oldest records were dropped (raise --spool-max-bytes to keep more)`);
  if (r.decode) {
    const d = r.decode;
    const top = (xs: [string, number][]): string => xs.slice(0, 8).map(([k, n]) => `${k} ×${n}`).join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '');
    lines.push(`  DBC: ${d.decodedFrames} frames decoded → ${d.signalPoints} signal points (can_signal metrics)`);
    if (d.shadowedIds.length > 0) lines.push(`  ${d.shadowedIds.length} ids defined by more than one DBC, the first given is used: ${d.shadowedIds.slice(0, 8).join(', ')}${d.shadowedIds.length > 8 ? ', …' : ''}`);
    if (d.unknownFrames > 0) lines.push(`  ${d.unknownFrames} frames with ids in no DBC, passed through undecoded: ${top(d.unknownIds)}`);
    if (d.decodeErrors > 0) lines.push(`  ${d.decodeErrors} frames of known ids did not decode, passed through undecoded: ${top(d.decodeErrorsByMessage)}`);
  }
  if (r.inputErrors > 0) lines.push(`  ${r.inputErrors} input lines skipped:`, ...r.issues.map((i) => `    ${i}`));
  return lines.join('\n') + '\n';
}

/** ISO date, or the raw number when outside what Date can print (never throws in a summary). */
function isoDate(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? `${ms} ms` : d.toISOString();
}

/** Exit code of `produce` when it finished but input was lost (bad lines, unreadable file ends, frames out of order, spool drops) or nothing was read. */
export const EXIT_INPUT_LOST = 3;

/** What was lost in one replay, in words; null when everything read was sent. */
function losses(r: ReplayResult): string | null {
  const lost: string[] = [];
  if (r.inputErrors > 0) lost.push(`${r.inputErrors} input lines or file ends unread`);
  if (r.outOfOrderFrames > 0) lost.push(`${r.outOfOrderFrames} frames out of time order`);
  if (r.sink && r.sink.spoolDropped > 0) lost.push(`${r.sink.spoolDropped} records dropped from the full spool`);
  if (r.eventStartMs === null && lost.length === 0) lost.push('nothing was read');
  return lost.length > 0 ? lost.join(', ') : null;
}

/** Prints the summary and notes any loss for the exit code. */
function report(label: string, r: ReplayResult): void {
  process.stdout.write(summary(label, r));
  const lost = losses(r);
  if (lost) {
    process.stderr.write(`fmeaflow: ${label}: ${lost} (exit code ${EXIT_INPUT_LOST})\n`);
    process.exitCode = EXIT_INPUT_LOST;
  }
}

/** Registers the `produce` command. */
export function register(program: Command): void {
  program
    .command('produce')
    .description('Publish drives, candump logs, JSONL files or live SocketCAN to Kafka (Avro + schema registry)')
    .argument('[inputs...]', 'drive folders (drives/<name>), candump logs (.log, .log.gz) or JSONL files (*metrics|spans|logs|releases*.jsonl)')
    .option('--speed <x|max>', "replay speed: 1 = real time, 10 = ten times faster, 'max' = as fast as possible", '1')
    .option('--fan-out <n>', 'publish each vehicle as N vehicles (<id>-x1, <id>-x2, …)', '1')
    .option('--fan-out-offset-ms <ms>', 'event-time shift between fanned-out vehicles', '250')
    .option('--batch-ms <ms>', 'CAN batching interval per vehicle', '100')
    .option('--bandwidth-bps <bytes>', 'per-vehicle uplink cap in bytes/s; frames over it are dropped and counted')
    .option('--vehicle-id <id>', 'vehicle id for a candump file or live interface (default: file name)')
    .option('--live <iface>', 'capture live from a SocketCAN interface (needs the optional socketcan package)')
    .option('--spool-dir <dir>', 'store-and-forward folder used while the broker is unreachable')
    .option('--spool-max-bytes <size>', 'bound of the spool on disk (e.g. 512MiB; default 64MiB); when full the OLDEST records are dropped and counted, so the newest telemetry survives a long outage')
    .option('--drain-timeout-ms <ms>', 'at the end, how long to wait for the spool to drain; what is left stays on disk for the next run', '30000')
    .option('--no-sample-logs', 'send every log line (no adaptive sampling)')
    .option('--brokers <list>', 'bootstrap brokers (default KAFKA_BROKERS or 127.0.0.1:19092)')
    .option('--topic-prefix <prefix>', 'start of every topic, group and transactional id on a shared cluster (default FMEAFLOW_TOPIC_PREFIX or fmeaflow.topic.prefix in FMEAFLOW_KAFKA_PROPERTIES)')
    .option('--registry-url <url>', 'schema registry (default SCHEMA_REGISTRY_URL or the local stack)')
    .option('--dry-run', 'parse, batch and encode but do not send', false)
    .option('--metrics-port <port>', 'serve the producer\'s Prometheus metrics on this port while running')
    .option('--metrics-host <host>', 'address the producer\'s /metrics binds to (0.0.0.0 inside a container)', '127.0.0.1')
    .option('--tracing', 'start the OpenTelemetry SDK even without OTEL_EXPORTER_OTLP_ENDPOINT: one span per produce batch, its traceparent on every record')
    .option('--dbc <file[,file]>', 'decode CAN frames with these DBC files (repeatable): known ids are published as can_signal metrics, unknown ids counted and passed through undecoded', (v: string, acc: string[]) => [...acc, ...v.split(',').map((x) => x.trim()).filter(Boolean)], [] as string[])
    .option('--bitrate <bus=bps>', 'nominal bitrate of a bus, stamped on its CAN records for bus load (repeatable; e.g. --bitrate can0=500000; a bare number applies to every bus)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--signal-interval-ms <ms>', 'with --dbc: event time between two published points of one signal', '1000')
    .option('--candump-timestamps <style>', 'candump files: absolute (-L, -ta, -tA; the default, epoch stamps as they are), zero (-tz, time since the first frame) or delta (-td, time since the previous frame)')
    .option('--candump-base-time <time>', 'candump files: epoch the relative (zero/delta) stamps start at, and the time of lines without a stamp; ISO 8601 with a zone (2025-01-06T08:00:00Z) or epoch seconds')
    .option('--candump-tz-offset <±HH:MM>', 'candump files: the UTC offset candump -tA printed its local dates in (e.g. +01:00); default Z (UTC)')
    .action(async (inputs: string[], o: ProduceOpts) => {
      const metrics = o.metricsPort ? await startMetricsServer(producerRegistry, num('--metrics-port', o.metricsPort, 0, true), { host: o.metricsHost }) : null;
      const stopTracing = await startTracing('fmeaflow-vehicle-producer', o.tracing ?? false);
      try {
        await run(inputs, o);
      } finally {
        await metrics?.close();
        await stopTracing?.();
      }
    });
}

/** `--bitrate can0=500000` (repeatable) → per-bus bitrates; a bare number is every bus's. */
export function parseBitrates(values: readonly string[]): { bitrateBps?: number; bitrateByBus?: Record<string, number> } {
  const out: { bitrateBps?: number; bitrateByBus?: Record<string, number> } = {};
  for (const v of values) {
    const m = /^(?:([A-Za-z0-9_.:-]{1,64})=)?(\d{1,9})$/.exec(v.trim());
    const bps = m ? Number(m[2]) : NaN;
    if (!m || bps < 10_000 || bps > 16_000_000) bad(`--bitrate ${JSON.stringify(v)}: give bus=bit/s between 10000 and 16000000, e.g. --bitrate can0=500000 (or a bare number for every bus)`);
    if (m[1] === undefined) out.bitrateBps = bps;
    else (out.bitrateByBus ??= {})[m[1]] = bps;
  }
  return out;
}

/** Runs one produce invocation (live capture or inputs in turn). */
async function run(inputs: string[], o: ProduceOpts): Promise<void> {
  const speed = o.speed === 'max' ? 'max' : num('--speed', o.speed, Number.MIN_VALUE);
  const common: ReplayOptions = {
    speed,
    fanOut: num('--fan-out', o.fanOut, 1, true),
    fanOutOffsetMs: num('--fan-out-offset-ms', o.fanOutOffsetMs, 0),
    batchMs: num('--batch-ms', o.batchMs, 1),
    ...(o.bandwidthBps ? { bandwidthBps: num('--bandwidth-bps', o.bandwidthBps, 1) } : {}),
    ...(o.spoolDir ? { spoolDir: o.spoolDir } : {}),
    ...(o.spoolMaxBytes !== undefined ? { spoolMaxBytes: o.spoolDir ? parseByteSize('--spool-max-bytes', o.spoolMaxBytes, MIN_SPOOL_BYTES) : bad('--spool-max-bytes needs --spool-dir <dir> (the spool it bounds)') } : {}),
    drainTimeoutMs: num('--drain-timeout-ms', o.drainTimeoutMs, 0, true),
    ...(o.brokers ? { brokers: o.brokers.split(',').map((b) => b.trim()) } : {}),
    ...(o.registryUrl ? { registryUrl: o.registryUrl } : {}),
    sampleLogs: o.sampleLogs,
    dryRun: o.dryRun,
    ...(o.dbc.length > 0 ? { dbc: loadDbcFiles(o.dbc), signalIntervalMs: num('--signal-interval-ms', o.signalIntervalMs, 1) } : {}),
    ...parseBitrates(o.bitrate),
    candumpTime: candumpTimeOptions({ timestamps: o.candumpTimestamps, baseTime: o.candumpBaseTime, tzOffset: o.candumpTzOffset }),
  };
  if (o.live) {
    if (inputs.length > 0) bad('give either --live <iface> or input files, not both');
    const problem = await socketcanProblem(o.live);
    if (problem) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `live capture on ${o.live} unavailable: ${problem}`);
    const q = new FrameQueue();
    const cap = await openSocketcan(o.live, (f) => q.push(f));
    process.once('SIGINT', () => { cap.stop(); q.end(); });
    process.stderr.write(`capturing ${o.live} as vehicle ${o.vehicleId ?? o.live}; Ctrl-C to stop\n`);
    const r = await replaySources([{ type: 'frames', frames: q, vehicleId: o.vehicleId ?? o.live }], { ...common, speed: 'max' });
    report(o.live, r);
    return;
  }
  if (inputs.length === 0) bad('nothing to produce: give a drive folder (e.g. drives/clean), a candump .log, a .jsonl file, or --live <iface>');
  // A folder of drives (with manifest.json) plays as one fleet: its drives share a base time, so
  // played one after another the later ones would be behind every watermark.
  if (inputs.length === 1 && existsSync(join(inputs[0]!, 'manifest.json'))) {
    const { readManifest } = await import('../../vehicle-producer/drive/drive-manifest.ts');
    const { replayDrives } = await import('../../vehicle-producer/publish/replay.ts');
    const m = readManifest(inputs[0]!);
    const bar = progressLine(basename(inputs[0]!));
    const r = await replayDrives({ ...common, drives: m.drives.map((d) => join(inputs[0]!, d.path)), onProgress: bar.onProgress });
    bar.done();
    report(inputs[0]!, r);
    return;
  }
  for (const input of inputs) {
    const files = sourcesFor(input, o.vehicleId);
    const bar = progressLine(basename(input));
    const r = files.length === 0 ? await replayDrive({ ...common, drive: input, onProgress: bar.onProgress }) : await replaySources(files, { ...common, onProgress: bar.onProgress });
    bar.done();
    report(input, r);
  }
}
