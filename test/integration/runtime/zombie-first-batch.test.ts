/**
 * Zombie fencing on a partition's first batch. Worker A (a child process) is assigned the only input partition,
 * processes its first batch and freezes (SIGSTOP) before sending anything. The group expires it; worker B takes the
 * partition and commits every record. A is then resumed: whatever it does, a read_committed reader must see each
 * output exactly once. The partition's transactional id fences A only if A initialised its transactional producer
 * before it fetched the batch; kafkajs runs InitProducerId at the first transaction(), not at connect(), so without
 * an explicit initialisation A's late InitProducerId fenced B instead and A committed its duplicates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { changelogTopic } from '../../../streams/runtime/kafka/internal-topics.ts';
import { produceAll, readAll, testProducer, waitFor } from '../../helpers/kafka.ts';
import { runtimeApp } from '../../helpers/runtime-app.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/count-worker.ts', import.meta.url));
const RECORDS = 100;
const KEYS = 10;

interface Child {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

function startChild(config: object): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, FIXTURE_CONFIG: JSON.stringify(config), FMEAFLOW_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const child: Child = { proc, lines: [], exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
  createInterface({ input: proc.stdout! }).on('line', (line) => child.lines.push(JSON.parse(line) as Record<string, unknown>));
  return child;
}

const has = (c: Child, field: string): boolean => c.lines.some((l) => field in l);
const committed = (c: Child): number => Math.max(0, ...c.lines.map((l) => (typeof l.committed === 'number' ? l.committed : 0)));
/** Linux process state letter ('T' = stopped). */
const procState = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0] ?? '';

test('a worker stalled in its first batch of a newly assigned partition is fenced: every output once', { timeout: 180_000 }, async (t) => {
  const app = await runtimeApp(t, 'zombie', { input: 1, output: 1 });
  const producer = await testProducer(t);
  const keys = Array.from({ length: RECORDS }, (_, i) => `veh-${i % KEYS}`);
  await produceAll(
    producer,
    app.input,
    keys.map((key, i) => ({ key, value: app.serde.encodeSync(app.input, { vehicleId: key, name: 'speed', labels: {}, kind: 'GAUGE', timestampMs: 1_700_000_000_000 + i, value: i, histogram: null, unit: null }) })),
  );
  const config = { app: app.app, input: app.input, output: app.output, late: app.late, dlq: app.dlq };
  const children: Child[] = [];
  t.after(() => {
    for (const c of children) {
      if (c.proc.exitCode !== null || c.proc.signalCode !== null) continue;
      c.proc.kill('SIGCONT');
      c.proc.kill('SIGKILL');
    }
  });

  const zombie = startChild({ ...config, stopAtFirstCommit: true });
  children.push(zombie);
  await waitFor(() => has(zombie, 'stopping') || zombie.proc.exitCode !== null, { timeoutMs: 90_000, what: 'worker A to process its first batch' });
  assert.equal(zombie.proc.exitCode, null, 'worker A died on its own');
  await waitFor(() => procState(zombie.proc.pid!) === 'T', { intervalMs: 20, what: 'worker A to be stopped' });

  const successor = startChild(config);
  children.push(successor);
  await waitFor(() => committed(successor) >= RECORDS || successor.proc.exitCode !== null, { timeoutMs: 90_000, what: 'worker B to take the partition and commit every record' });
  assert.equal(successor.proc.exitCode, null, 'worker B died on its own');

  zombie.proc.kill('SIGCONT');
  // A's attempt ends in a commit (the bug: its duplicates become visible) or an abort (fenced); either is logged.
  await waitFor(() => committed(zombie) > 0 || has(zombie, 'aborted') || zombie.proc.exitCode !== null, { timeoutMs: 60_000, what: 'worker A to commit or abort its stalled batch' });
  t.diagnostic(`worker A after resuming: ${JSON.stringify(zombie.lines.filter((l) => !('ready' in l)))}`);

  const out = (await readAll(app.output)).map((r) => ({ key: r.key!.toString(), count: (JSON.parse(r.value!.toString()) as { count: number }).count }));
  const perKey = new Map<string, number[]>();
  for (const o of out) (perKey.get(o.key) ?? perKey.set(o.key, []).get(o.key)!).push(o.count);
  assert.equal(out.length, RECORDS, `a read_committed reader sees each of the ${RECORDS} outputs once (saw ${out.length})`);
  for (let k = 0; k < KEYS; k++) assert.deepEqual(perKey.get(`veh-${k}`), Array.from({ length: RECORDS / KEYS }, (_, i) => i + 1), `veh-${k}: counts 1..${RECORDS / KEYS}`);

  const state = new Map<string, number>();
  for (const c of await readAll(changelogTopic(app.app, 'count-per-key-store'))) {
    const key = c.key!.toString();
    if (!key.startsWith('\u0000')) state.set(key, JSON.parse(c.value!.toString()) as number);
  }
  assert.deepEqual([...state.values()], Array.from({ length: KEYS }, () => RECORDS / KEYS), 'changelog state: each key counted once per record');
});
