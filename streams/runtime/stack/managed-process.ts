/**
 * A background JVM started by the project: detached, logging to a file, tracked by a pid
 * file so that a later `stack down` (another process) can stop exactly what was started.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
}

/** Whether a pid refers to a live process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pid recorded in `<runDir>/<name>.pid` if that process still runs. */
export function runningPid(runDir: string, name: string): number | undefined {
  const file = path.join(runDir, `${name}.pid`);
  if (!fs.existsSync(file)) return undefined;
  const pid = Number(fs.readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Starts a detached process whose output goes to `<runDir>/<name>.log`. */
export function startDetached(name: string, runDir: string, cmd: string, args: string[], cwd?: string): ManagedProcess {
  fs.mkdirSync(runDir, { recursive: true });
  const logFile = path.join(runDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  if (child.pid === undefined) throw new FmeaflowError(ErrorCodes.STACK_START_FAILED, `could not start ${name} (${cmd})`);
  child.unref();
  fs.writeFileSync(path.join(runDir, `${name}.pid`), String(child.pid));
  return { name, pid: child.pid, logFile };
}

/** Polls `probe` until it resolves true, the process dies, or the timeout passes. */
export async function waitUntil(probe: () => Promise<boolean>, opts: { timeoutMs: number; pid?: number; what: string; logFile?: string }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (opts.pid !== undefined && !isAlive(opts.pid)) {
      throw new FmeaflowError(ErrorCodes.STACK_START_FAILED, `${opts.what} exited during start-up${opts.logFile ? `; see ${opts.logFile}:\n${tail(opts.logFile, 15)}` : ''}`);
    }
    if (Date.now() > deadline) {
      throw new FmeaflowError(ErrorCodes.STACK_START_FAILED, `${opts.what} not ready after ${opts.timeoutMs / 1000}s${opts.logFile ? `; see ${opts.logFile}` : ''}`, { retriable: true });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Last lines of a log file, for error messages. */
export function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Stops a recorded process: SIGTERM, then SIGKILL after `graceMs`. Returns whether one was running. */
export async function stopRecorded(runDir: string, name: string, graceMs = 20_000): Promise<boolean> {
  const pid = runningPid(runDir, name);
  fs.rmSync(path.join(runDir, `${name}.pid`), { force: true });
  if (pid === undefined) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  return true;
}
