/**
 * Runs the `fmeaflow` command line in this process (same program, same error reporting as
 * streams/cli.ts) and returns what it wrote: fast enough for tests that run it hundreds of
 * times. One spawned run elsewhere keeps the real entry point covered.
 */
import { buildProgram, reportError } from '../../streams/cli.ts';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `fmeaflow <args>`; calls must not overlap (stdout/stderr are captured process-wide). */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const program = await buildProgram();
  const out: string[] = [];
  const err: string[] = [];
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const savedExitCode = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((chunk: string | Uint8Array) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
  let code: number;
  try {
    await program.parseAsync(['node', 'fmeaflow', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    code = reportError(e);
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    process.exitCode = savedExitCode;
  }
  return { code, out: out.join(''), err: err.join('') };
}
