/**
 * Exactly-once under SIGKILL: a count-per-key worker (child process) is killed at
 * random points while consuming 200k records and restarted each time. The committed
 * output (read_committed) must be exactly 1..n_k per key — nothing lost, nothing
 * duplicated — equal to the replay runtime's output, and the changelog state must
 * equal an uninterrupted run's final counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { replay } from '../../../streams/runtime/replay/replay.ts';
import { countPerKey } from '../../../streams/processors/testing/count-per-key.ts';
import { changelogTopic } from '../../../streams/runtime/kafka/internal-topics.ts';
import { freshTopics, produceAll, readAll, testAdmin, testProducer, uniqueName, waitFor, waitForGroupCaughtUp } from '../../helpers/kafka.ts';

const RECORDS = Number(process.env.CRASH_RECORDS ?? 200_000);
const KEYS = 1000;
const KILLS = 4;
const FIXTURE = fileURLToPath(new URL('./fixtures/count-worker.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  committed: number;
  /** Set when the worker announces it is sending a transaction. */
  committing: boolean;
  ready: boolean;
  exited: Promise<number | null>;
}

function startChild(config: object): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE], { env: { ...process.env, FIXTURE_CONFIG: JSON.stringify(config), FMEAFLOW_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const child: Child = { proc, committed: 0, committing: false, ready: false, exited: new Promise((r) => proc.once('exit', (code) => r(code))) };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { committed?: number; committing?: boolean; ready?: boolean };
    if (m.ready) child.ready = true;
    if (m.committed !== undefined) {
      child.committed = m.committed;
      child.committing = false;
    }
    if (m.committing) child.committing = true;
  });
  return child;
}

test(`exactly-once: ${RECORDS} records, ${KILLS} SIGKILLs, output equals replay`, { timeout: 240_000 }, async (t) => {
  const rng = seedrandom(process.env.CRASH_SEED ?? String(Date.now()));
  const [input, output, late, dlq] = await freshTopics(t, [{ prefix: 'crash-in', partitions: 4 }, { prefix: 'crash-out', partitions: 4 }, { prefix: 'crash-late' }, { prefix: 'crash-dlq' }]);
  const app = uniqueName('crash');
  const serde = createSerde();
  await serde.registerAll([{ name: input!, schema: 'metric.avsc' }]);
  const keys: string[] = [];
  const records = Array.from({ length: RECORDS }, (_, i) => {
    const key = `veh-${Math.floor(rng() * KEYS)}`;
    keys.push(key);
    return { key, value: serde.encodeSync(input!, { vehicleId: key, name: 'speed', labels: {}, kind: 'GAUGE', timestampMs: 1_700_000_000_000 + i, value: i, histogram: null, unit: null }) };
  });
  const producer = await testProducer(t);
  await produceAll(producer, input!, records, 5000);

  const config = { app, input, output, late, dlq };
  const children: Child[] = [];
  t.after(() => children.forEach((c) => c.proc.exitCode === null && c.proc.kill('SIGKILL')));
  for (let k = 0; k < KILLS; k++) {
    const child = startChild(config);
    children.push(child);
    // Kill after a random amount of progress in this incarnation: on even rounds right after the worker
    // announces a transaction (so the kill lands while outputs are half sent), on odd rounds after a random delay.
    // At most half of what is left: a fast incarnation can commit far past its threshold before its kill, and a later one
    // waiting for more records than remain would wait forever.
    const left = RECORDS - children.slice(0, -1).reduce((n, c) => n + c.committed, 0);
    const threshold = Math.min(Math.floor((0.05 + rng() * 0.15) * RECORDS), Math.floor(left / 2));
    await waitFor(() => child.committed >= threshold || child.proc.exitCode !== null, { timeoutMs: 90_000, what: `child ${k} to commit ${threshold} records` });
    assert.equal(child.proc.exitCode, null, 'worker died on its own');
    if (k % 2 === 0) await waitFor(() => child.committing || child.proc.exitCode !== null, { timeoutMs: 30_000, intervalMs: 1, what: 'a transaction to start' });
    // Fault injection, not synchronisation: a random moment inside the transaction's sends (or anywhere).
    await new Promise((r) => setTimeout(r, 5 + Math.floor(rng() * (k % 2 === 0 ? 120 : 300))));
    t.diagnostic(`kill ${k}: after ${child.committed} records, mid-transaction=${child.committing}`);
    child.proc.kill('SIGKILL');
    await child.exited;
  }
  const last = startChild(config);
  children.push(last);
  const admin = await testAdmin(t);
  await waitForGroupCaughtUp(admin, `${app}-count-per-key`, input!, 150_000);
  await waitFor(() => last.ready, { what: 'the last worker to be running' });
  last.proc.kill('SIGTERM');
  assert.equal(await last.exited, 0, 'graceful shutdown on SIGTERM');

  const out = (await readAll(output!)).map((r) => ({ key: r.key!.toString(), count: (JSON.parse(r.value!.toString()) as { count: number }).count }));
  const n = new Map<string, number>();
  for (const k of keys) n.set(k, (n.get(k) ?? 0) + 1);
  assert.equal(out.length, RECORDS, 'one committed output per input record');
  const perKey = new Map<string, number[]>();
  for (const o of out) (perKey.get(o.key) ?? perKey.set(o.key, []).get(o.key)!).push(o.count);
  for (const [k, cnt] of n) assert.deepEqual(perKey.get(k), Array.from({ length: cnt }, (_, i) => i + 1), `key ${k}: counts 1..${cnt}`);

  const p = countPerKey({ input: input!, output: output! });
  const r = replay([p], keys.map((key, i) => ({ topic: input!, key, value: { timestampMs: 1_700_000_000_000 + i } })), { partitions: { [input!]: 4 } });
  const replayPerKey = new Map<string, number[]>();
  for (const o of r.outputs[output!]!) (replayPerKey.get(o.key) ?? replayPerKey.set(o.key, []).get(o.key)!).push((o.value as { count: number }).count);
  assert.deepEqual(new Map([...perKey].sort()), new Map([...replayPerKey].sort()));

  const state = new Map<string, number>();
  for (const c of await readAll(changelogTopic(app, p.store))) {
    const key = c.key!.toString();
    if (!key.startsWith('\u0000')) state.set(key, JSON.parse(c.value!.toString()) as number);
  }
  assert.deepEqual(new Map([...state].sort()), new Map([...n].sort()), 'changelog state equals an uninterrupted count');
  const uncommitted = (await readAll(output!, { readUncommitted: true })).length;
  // Evidence that kills really hit open transactions: their outputs exist in the log, aborted.
  t.diagnostic(`aborted output records (visible only to read_uncommitted): ${uncommitted - RECORDS}`);
  assert.ok(uncommitted > RECORDS, 'at least one kill landed inside an open transaction (else this test proved less than it claims)');
});
