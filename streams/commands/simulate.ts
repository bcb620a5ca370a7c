/**
 * `fmeaflow simulate`: runs a fleet scenario (vehicle-producer/scenarios/*.yaml) and writes
 * a drive folder (candump logs + JSONL) plus its entry in the drives manifest.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { loadScenario } from '../../vehicle-producer/sim/scenario.ts';
import { simulate } from '../../vehicle-producer/sim/fleet-simulator.ts';
import { writeDrive } from '../../vehicle-producer/drive/drive-writer.ts';

/** Refuses an --out the drive cannot be written to before minutes of simulation are spent on it. */
function checkOutDir(out: string): void {
  const bad = (why: string): FmeaflowError => new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--out '${out}': ${why}; give a folder to (re)write, e.g. --out /tmp/my-drive`);
  let p = path.resolve(out);
  if (existsSync(p) && !statSync(p).isDirectory()) throw bad('is a file, not a folder');
  while (!existsSync(p)) p = path.dirname(p);
  if (!statSync(p).isDirectory()) throw bad(`'${p}' is a file, not a folder`);
  try { accessSync(p, constants.W_OK); } catch { throw bad(`'${p}' is not writable`); }
}

/** Registers the `simulate` command. */
export function register(program: Command): void {
  program
    .command('simulate')
    .description('Simulate a vehicle fleet from a scenario file and write a recorded drive (candump .log + .jsonl)')
    .requiredOption('--scenario <file>', 'scenario YAML, e.g. vehicle-producer/scenarios/can-timeout.yaml')
    .requiredOption('--out <dir>', 'drive folder to (re)write, e.g. drives/can-timeout')
    .option('--seed <n>', 'override the scenario seed (integer)')
    .option('--gzip', 'gzip every file of the drive (.gz suffix)', false)
    .option('--manifest <file>', "manifest to merge the drive into (default: <out>/../manifest.json; 'none' to skip)")
    .action((opts: { scenario: string; out: string; seed?: string; gzip: boolean; manifest?: string }) => {
      const sc = loadScenario(opts.scenario);
      checkOutDir(opts.out);
      if (opts.seed !== undefined) {
        if (!/^-?\d+$/.test(opts.seed)) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--seed '${opts.seed}' must be an integer, e.g. --seed 42`);
        sc.seed = Number(opts.seed);
      }
      const started = Date.now();
      const sim = simulate(sc);
      let entry;
      try {
        entry = writeDrive(sim, opts.out, { gzip: opts.gzip, manifestPath: opts.manifest === 'none' ? null : opts.manifest });
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (!err.code) throw e;
        throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--out '${opts.out}': cannot write the drive (${err.code} on ${err.path ?? opts.out})`);
      }
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `wrote ${opts.out}: ${entry.vehicles.length} vehicles, ${entry.durationMs / 1000} s, ${entry.counts.frames} frames, ${entry.counts.metrics} metrics, ` +
          `${entry.counts.spans} spans, ${entry.counts.logs} logs, ${entry.counts.releases} releases in ${secs} s\n`,
      );
      for (const f of entry.faults) process.stdout.write(`  fault ${f.kind} at +${f.onsetMs / 1000} s (${f.onsetTime}) on ${f.affectedVehicles.join(', ')}\n`);
    });
}
