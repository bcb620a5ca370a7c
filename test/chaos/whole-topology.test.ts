/**
 * Exactly-once on the whole topology under faults (short variant; `npm run chaos` runs the long one). The bundled drives,
 * fanned out to a fleet, go through the CLI worker twice, each time on a fresh private broker: once uninterrupted, once
 * under a seeded schedule of worker SIGKILLs, a broker SIGKILL and restart, a zombie and scaling 1 → 3 → 2. Every output
 * topic's committed records (key, value without WALL_CLOCK_FIELDS) must be the same multiset, and every store's final
 * contents (from its changelog) the same. The seed is printed; CHAOS_SEED=<seed> replays the schedule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registryUrl as defaultRegistryUrl } from '../../streams/runtime/kafka/connection.ts';
import { diffRuns, ORDER_DEPENDENT_STORES, ORDER_DEPENDENT_TOPICS, outputCounts, readRunOutputs, seedFleet, startPrivateBroker } from '../helpers/chaos-fleet.ts';
import { runUnderFaults, runUninterrupted } from '../helpers/fault-schedule.ts';

const FAN_OUT = Number(process.env.CHAOS_FAN_OUT ?? 3);
const SEED = process.env.CHAOS_SEED ?? String(Date.now());

// A hang guard, not a speed bound: the two full runs took 7.6 min beside a CPU burner, and over 15 min at load ~25
// (a second chaos run and the CI suite beside it), where the 15 min guard ended the test before its quiescence wait did.
test(`whole topology, ${FAN_OUT}× fleet: 5 worker SIGKILLs, 1 broker SIGKILL, 1 zombie, 1→3→2 workers: outputs equal an uninterrupted run (CHAOS_SEED=${SEED})`, { timeout: 1_800_000 }, async (t) => {
  t.diagnostic(`CHAOS_SEED=${SEED}`);
  const registryUrl = defaultRegistryUrl();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-chaos-logs-'));
  t.diagnostic(`worker logs: ${logDir}`);

  const refBroker = await startPrivateBroker('chaos-ref');
  let expected;
  try {
    const records = await seedFleet(refBroker.brokers, registryUrl, FAN_OUT);
    t.diagnostic(`input records: ${records}`);
    assert.ok(records >= 200_000, `at least 200k input records (got ${records}; raise CHAOS_FAN_OUT)`);
    await runUninterrupted(refBroker, registryUrl, 'chaos-ref', logDir);
    expected = await readRunOutputs(refBroker.brokers, registryUrl, 'chaos-ref');
  } finally {
    await refBroker.stop();
  }
  const reference = outputCounts(expected);
  t.diagnostic(`uninterrupted outputs: ${JSON.stringify(reference)}`);
  // An empty reference would make any faulted run "equal": the drives must have produced actions, drift and baselines.
  for (const topic of ['fmeaflow.actions.v1', 'fmeaflow.drift.v1', 'fmeaflow.baselines.v1']) assert.ok((reference[topic] ?? 0) > 0, `the uninterrupted run wrote ${topic}`);

  const faulted = await startPrivateBroker('chaos-run');
  t.after(() => faulted.stop());
  await seedFleet(faulted.brokers, registryUrl, FAN_OUT);
  const report = await runUnderFaults(faulted, registryUrl, 'chaos-run', logDir, { seed: SEED, workerKills: 5, brokerKills: 1, zombies: 1 }, (m) => t.diagnostic(m));
  const actual = await readRunOutputs(faulted.brokers, registryUrl, 'chaos-run');
  t.diagnostic(`faulted outputs: ${JSON.stringify(outputCounts(actual))}`);
  t.diagnostic(`workers that exited on their own (replaced, as a supervisor would): ${report.selfExits}`);
  assert.deepEqual([report.workerKills, report.brokerKills, report.zombies], [5, 1, 1], 'every planned fault was injected');
  const diffs = diffRuns(expected, actual);
  for (const d of diffs) t.diagnostic(d);
  // Known arrival-order dependencies (ORDER_DEPENDENT_* in chaos-fleet.ts) are reported above, not asserted.
  const orderDependent = (d: string): boolean => ORDER_DEPENDENT_TOPICS.some((x) => d.startsWith(`topic ${x}:`)) || ORDER_DEPENDENT_STORES.some((x) => d.startsWith(`store ${x}:`));
  assert.deepEqual(diffs.filter((d) => !orderDependent(d)), [], `CHAOS_SEED=${SEED}: outputs and stores equal the uninterrupted run`);
});
