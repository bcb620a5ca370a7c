/**
 * Runs the whole topology under a seeded fault schedule: worker SIGKILLs (each replaced at once), broker SIGKILL and
 * restart, a zombie (SIGSTOP past the session timeout, then SIGCONT) and scaling (1 → 3 workers, finally one
 * SIGTERMed). The seed fixes the order of the faults, their victims and the pauses between them; where in the
 * processing each one lands still depends on the machine's speed, which is the point: the outputs must not.
 */
import seedrandom from 'seedrandom';
import { SESSION_TIMEOUT_MS, startWorkerProcess, waitQuiescent, type PrivateBroker, type WorkerProcess } from './chaos-fleet.ts';

export interface FaultPlan {
  readonly seed: string;
  readonly workerKills: number;
  readonly brokerKills: number;
  readonly zombies: number;
  /** Workers after scaling out (default 3); one is stopped at the end. */
  readonly maxWorkers?: number;
  /** Pause between faults, ms (uniform in the range). */
  readonly pauseMs?: readonly [number, number];
}

export interface FaultReport {
  readonly workerKills: number;
  /** Workers that exited without being signalled (replaced, as a supervisor would). */
  readonly selfExits: number;
  readonly brokerKills: number;
  readonly zombies: number;
  readonly events: string[];
}

export async function runUnderFaults(broker: PrivateBroker, registryUrl: string, app: string, logDir: string, plan: FaultPlan, log: (m: string) => void): Promise<FaultReport> {
  const rng = seedrandom(plan.seed);
  const between = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo));
  const [pLo, pHi] = plan.pauseMs ?? [2000, 8000];
  const workers: WorkerProcess[] = [];
  let n = 0;
  const events: string[] = [];
  const t0 = Date.now();
  const note = (m: string): void => {
    const line = `+${((Date.now() - t0) / 1000).toFixed(1)}s ${m}`;
    events.push(line);
    log(line);
  };
  const report = { workerKills: 0, brokerKills: 0, zombies: 0, selfExits: 0 };
  /** Workers the schedule signalled (their exit is expected). */
  const signalled = new Set<WorkerProcess>();
  let finishing = false;
  const start = (): WorkerProcess => {
    const w = startWorkerProcess(`w${++n}`, app, broker.brokers, registryUrl, logDir);
    workers.push(w);
    // A supervisor's job (systemd Restart=on-failure, a Kubernetes Deployment): a worker that exits on its own (e.g. it
    // cannot reach the broker while starting) is replaced, and counted so the report shows it.
    void w.exited.then((code) => {
      if (signalled.has(w) || finishing) return;
      report.selfExits++;
      note(`${w.name} exited on its own (code ${code}): ${w.lastLine()}; started ${start().name}`);
    });
    return w;
  };
  const signal = (w: WorkerProcess, sig: NodeJS.Signals): void => {
    if (sig === 'SIGKILL' || sig === 'SIGTERM') signalled.add(w);
    w.proc.kill(sig);
  };
  const alive = (): WorkerProcess[] => workers.filter((w) => w.alive());
  /** A worker that is processing (faults aimed at one still starting up would test start-up, not exactly-once). */
  const runningVictim = async (): Promise<WorkerProcess> => {
    for (;;) {
      const live = alive().filter((w) => w.running());
      if (live.length > 0) return live[Math.floor(rng() * live.length)]!;
      await pause(250);
    }
  };
  try {
    start();
    note('started w1');
    await pause(between(pLo, pHi));
    const max = plan.maxWorkers ?? 3;
    while (alive().length < max) note(`scaled out: started ${start().name}`);
    const faults: string[] = [...Array<string>(plan.workerKills).fill('kill'), ...Array<string>(plan.brokerKills).fill('broker'), ...Array<string>(plan.zombies).fill('zombie')];
    // Fisher-Yates with the seeded generator: the order of the faults is part of what the seed replays.
    for (let i = faults.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [faults[i], faults[j]] = [faults[j]!, faults[i]!];
    }
    for (const f of faults) {
      await pause(between(pLo, pHi));
      const victim = await runningVictim();
      if (f === 'kill') {
        signal(victim, 'SIGKILL');
        await victim.exited;
        report.workerKills++;
        note(`SIGKILL ${victim.name}; started ${start().name}`);
      } else if (f === 'broker') {
        const down = between(500, 3000);
        note(`broker SIGKILL (down ${down} ms)`);
        await broker.crashAndRestart(down);
        report.brokerKills++;
        note('broker restarted');
      } else {
        signal(victim, 'SIGSTOP');
        note(`SIGSTOP ${victim.name} (zombie)`);
        await pause(SESSION_TIMEOUT_MS + between(3000, 8000));
        signal(victim, 'SIGCONT');
        report.zombies++;
        note(`SIGCONT ${victim.name}`);
      }
    }
    await pause(between(pLo, pHi));
    const leaving = await runningVictim();
    signal(leaving, 'SIGTERM');
    const code = await leaving.exited;
    note(`scaled in: SIGTERM ${leaving.name} (exit ${code})`);
    await waitQuiescent(broker.brokers, app);
    note('quiescent');
    return { ...report, events };
  } finally {
    finishing = true;
    for (const w of alive()) {
      w.proc.kill('SIGCONT');
      w.proc.kill('SIGTERM');
    }
    await Promise.all(workers.map((w) => Promise.race([w.exited, pause(30_000).then(() => w.proc.kill('SIGKILL'))])));
  }
}

/** Fault injection (a pause between faults), never synchronisation. */
function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One uninterrupted worker over the same input: the reference run. */
export async function runUninterrupted(broker: PrivateBroker, registryUrl: string, app: string, logDir: string): Promise<void> {
  const w = startWorkerProcess('baseline', app, broker.brokers, registryUrl, logDir);
  try {
    await waitQuiescent(broker.brokers, app, { onPoll: () => { if (!w.alive()) throw new Error('the uninterrupted worker exited'); } });
  } finally {
    w.proc.kill('SIGTERM');
    await Promise.race([w.exited, pause(30_000).then(() => w.proc.kill('SIGKILL'))]);
  }
}
