/**
 * Long chaos variant (issue 15): the whole topology over the bundled drives fanned out to a fleet, once uninterrupted and
 * once under a seeded fault schedule, each on its own private broker; prints the faults survived, input records,
 * durations and every difference between the two runs' committed outputs and final store contents (must be none).
 * Uses only the bundled drives (no ../shared data).
 *
 *   npm run chaos -- [--records 2000000] [--kills 50] [--broker-kills 5] [--zombies 3] [--workers 3] [--seed <s>]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stackEndpoints, stackUp } from '../streams/runtime/stack/stack.ts';
import { diffRuns, outputCounts, readRunOutputs, RECORDS_PER_FAN_OUT, seedFleet, startPrivateBroker } from '../test/helpers/chaos-fleet.ts';
import { runUnderFaults, runUninterrupted } from '../test/helpers/fault-schedule.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '2000000' },
    kills: { type: 'string', default: '50' },
    'broker-kills': { type: 'string', default: '5' },
    zombies: { type: 'string', default: '3' },
    workers: { type: 'string', default: '3' },
    seed: { type: 'string', default: process.env.CHAOS_SEED ?? String(Date.now()) },
  },
});
const int = (name: string, v: string, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`chaos: --${name} ${v}: give a whole number ≥ ${min}\n`);
    process.exit(2);
  }
  return n;
};
const records = int('records', values.records, 1);
const plan = { seed: values.seed, workerKills: int('kills', values.kills, 0), brokerKills: int('broker-kills', values['broker-kills'], 0), zombies: int('zombies', values.zombies, 0), maxWorkers: int('workers', values.workers, 2) };
const fanOut = Math.max(1, Math.ceil(records / RECORDS_PER_FAN_OUT));
const say = (m: string): void => void process.stdout.write(`${m}\n`);

await stackUp();
const registryUrl = stackEndpoints().registryUrl;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-chaos-bench-'));
say(`chaos: seed ${plan.seed} (CHAOS_SEED replays the schedule), fan-out ${fanOut}, worker logs in ${logDir}`);

const t0 = Date.now();
const reference = await startPrivateBroker('chaos-bench-ref');
let expected;
let sent = 0;
try {
  sent = await seedFleet(reference.brokers, registryUrl, fanOut);
  say(`uninterrupted run: ${sent} input records`);
  await runUninterrupted(reference, registryUrl, 'chaos-ref', logDir);
  expected = await readRunOutputs(reference.brokers, registryUrl, 'chaos-ref');
} finally {
  await reference.stop();
}
const refSeconds = (Date.now() - t0) / 1000;
say(`uninterrupted run done in ${refSeconds.toFixed(0)} s: ${JSON.stringify(outputCounts(expected))}`);

const t1 = Date.now();
const faulted = await startPrivateBroker('chaos-bench-run');
let diffs: string[];
try {
  await seedFleet(faulted.brokers, registryUrl, fanOut);
  const report = await runUnderFaults(faulted, registryUrl, 'chaos-run', logDir, plan, say);
  const actual = await readRunOutputs(faulted.brokers, registryUrl, 'chaos-run');
  diffs = diffRuns(expected, actual);
  const seconds = (Date.now() - t1) / 1000;
  say('');
  say(`records: ${sent} input; outputs ${JSON.stringify(outputCounts(actual))}`);
  say(`faults survived: ${report.workerKills} worker SIGKILLs, ${report.brokerKills} broker SIGKILLs, ${report.zombies} zombies, ${plan.maxWorkers} workers at most`);
  say(`duration: uninterrupted ${refSeconds.toFixed(0)} s, under faults ${seconds.toFixed(0)} s`);
  say(`differences: ${diffs.length}`);
  for (const d of diffs) say(`  ${d}`);
} finally {
  await faulted.stop();
}
process.exitCode = diffs.length === 0 ? 0 : 1;
