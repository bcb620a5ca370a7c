import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';

const occurrenceTable = loadOccurrenceTable('fmea-rules/occurrence-table.yaml');
const T0 = 1_764_000_000_000;
const S = 1000;
const MIN = 60 * S;

const record = (worksheet: string, yaml: string) => ({ worksheet, sourceFile: `${worksheet}.yaml`, yaml, sha256: createHash('sha256').update(yaml).digest('hex'), publishedAtMs: 0, publishedBy: null });
const logCluster = (vehicleId: string, t: number) => ({ clusterId: `c${t}`, eventType: 'NEW', windowEndMs: t, templates: [{ template: 'CAN timeout on <CANID>' }], keywords: ['timeout'], vehicleCounts: [{ vehicleId, count: 1 }], examples: [] });
const drift = (vehicleId: string, t: number) => ({ eventId: `d${t}`, name: 'can_bus_error_rate', labels: { bus: 'main' }, scope: vehicleId, detector: 'ewma', phase: 'ONSET', value: 0.09, zScore: 5, windowEndMs: t });
const features = (vehicleId: string, t: number) => ({ vehicleId, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, features: { error_frame_share: 0.2 }, dtcCodes: [] });

const entry = (id: string, scopes: string, evidence: string) => `  - id: ${id}
    item: a
    function: b
    failureMode: c
    effect: d
    cause: e
    severity: 5
    occurrence: 5
    detection: 5
    scopes: ${scopes}
    evidence:
${evidence}`;
const LC = "logCluster: { keywords: [timeout] }";
const DRIFT = `drift: 'can_bus_error_rate{bus="main"} > 5%'`;
const FEAT = 'canFeature: error_frame_share > 0.1';

type Input = readonly [topic: string, value: unknown];
function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}
/** Feeds inputs in the given order (lateness wide enough that none is late); returns each action's latest version by key. */
function run(yaml: string, inputs: readonly Input[], allowedLatenessMs = 30 * MIN): { actions: Map<string, FmeaAction>; driver: Driver<unknown, unknown> } {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable, allowedLatenessMs }));
  d.tables.set(Topics.rules, new Map([['order', record('order', yaml)]]));
  const actions = new Map<string, FmeaAction>();
  for (const [topic, value] of inputs) for (const a of d.feed(topic, value) as FmeaAction[]) actions.set(a.key, a);
  return { actions, driver: d };
}
/** Activated actions as key → [firstSeen, lastSeen] in seconds after T0. */
const seen = (actions: Map<string, FmeaAction>) => Object.fromEntries([...actions].sort(([a], [b]) => a.localeCompare(b)).map(([k, a]) => [k, [(a.firstSeenMs - T0) / S, (a.lastSeenMs - T0) / S]]));
const label = (order: readonly Input[]) => order.map(([topic, v]) => `${topic.split('.').at(-2)}@${((v as { windowEndMs: number }).windowEndMs - T0) / S}s`).join(' → ');

test('the same evidence activates the same actions with the same first/last seen in every arrival order', () => {
  const yaml = `worksheet: order
entries:
${entry('S-ORD-01', '[vehicle, fleet]', `      within: 2m
      all:
        - ${LC}
        - ${DRIFT}`)}
${entry('S-ORD-02', '[vehicle]', `      within: 2m
      all:
        - ${FEAT}
        - any:
            - ${LC}
            - ${DRIFT}`)}
`;
  // The log cluster at 100 s pairs with the drift at 80 s (the cluster's topic comes later than drift's, so the
  // drift may arrive after the cluster at 500 s). V2's drift at 300 s is 200 s from every V1 part.
  const inputs: Input[] = [
    [Topics.logClusters, logCluster('V1', T0 + 100 * S)],
    [Topics.logClusters, logCluster('V1', T0 + 500 * S)],
    [Topics.drift, drift('V1', T0 + 80 * S)],
    [Topics.canFeatures, features('V1', T0 + 430 * S)],
    [Topics.drift, drift('V2', T0 + 300 * S)],
  ];
  const expected = {
    'S-ORD-01|fleet:fleet': [100, 100],
    'S-ORD-01|vehicle:V1': [100, 100],
    'S-ORD-02|vehicle:V1': [500, 500], // features at 430 s need the cluster at 500 s
  };
  const orders = permutations(inputs);
  assert.equal(orders.length, 120);
  for (const order of orders) assert.deepEqual(seen(run(yaml, order).actions), expected, label(order));
});

test('parts farther apart than the window never activate, whatever the order', () => {
  const flat = `worksheet: order
entries:
${entry('S-SPAN-01', '[vehicle]', `      within: 2m
      all:
        - ${LC}
        - ${DRIFT}
        - ${FEAT}`)}
`;
  // Each part is within 2 min of the middle one, but the three span 4 min.
  const spread: Input[] = [[Topics.logClusters, logCluster('V1', T0)], [Topics.drift, drift('V1', T0 + 2 * MIN)], [Topics.canFeatures, features('V1', T0 + 4 * MIN)]];
  for (const order of permutations(spread)) assert.deepEqual(seen(run(flat, order).actions), {}, label(order));

  const nested = `worksheet: order
entries:
${entry('S-SPAN-02', '[vehicle]', `      within: 10m
      all:
        - ${LC}
        - within: 1m
          all:
            - ${DRIFT}
            - ${FEAT}`)}
`;
  // The inner group's parts are 90 s apart (> 1 min) although both are within 1 min of the cluster.
  const innerTooWide: Input[] = [[Topics.drift, drift('V1', T0)], [Topics.logClusters, logCluster('V1', T0 + 30 * S)], [Topics.canFeatures, features('V1', T0 + 90 * S)]];
  for (const order of permutations(innerTooWide)) assert.deepEqual(seen(run(nested, order).actions), {}, label(order));
  // Control: with the features 50 s after the drift the inner group fits and the entry holds from 50 s.
  const fits: Input[] = [[Topics.drift, drift('V1', T0)], [Topics.logClusters, logCluster('V1', T0 + 30 * S)], [Topics.canFeatures, features('V1', T0 + 50 * S)]];
  for (const order of permutations(fits)) assert.deepEqual(seen(run(nested, order).actions), { 'S-SPAN-02|vehicle:V1': [50, 50] }, label(order));
});

test('remembered matches per scope and leaf stay bounded by count and by the window behind the watermark', () => {
  const yaml = `worksheet: order
entries:
${entry('S-ORD-01', '[vehicle]', `      within: 2m
      all:
        - ${LC}
        - ${DRIFT}`)}
`;
  const burst: Input[] = Array.from({ length: 60 }, (_, i) => [Topics.logClusters, logCluster('V1', T0 + i * S)] as const);
  const { driver } = run(yaml, burst, 5 * MIN);
  const history = () => {
    const value = driver.store.get('lm:vehicle:V1|S-ORD-01/evidence.all[0]') as { m: { t: number }[] };
    return value.m.map((m) => (m.t - T0) / S);
  };
  const kept = history();
  assert.equal(kept.length, 16);
  assert.equal(kept[0], 0, 'the oldest match is kept');
  assert.equal(kept.at(-1), 59, 'the newest match is kept');
  // Evenly spread would be a gap of 59/15 ≈ 4 s; thinning one at a time keeps it within twice that.
  assert.ok(Math.max(...kept.slice(1).map((t, i) => t - kept[i]!)) <= 8, `kept matches are spread over the burst: ${kept.join(',')}`);
  // A drift 50 s before the burst's start still meets the first cluster.
  assert.ok((driver.feed(Topics.drift, drift('V1', T0 - 50 * S)) as FmeaAction[]).some((a) => a.key === 'S-ORD-01|vehicle:V1'));
  // 20 min later the watermark (lateness 5 min) is 13 min past the burst: the burst can no longer combine and is dropped.
  driver.feed(Topics.logClusters, logCluster('V1', T0 + 20 * MIN));
  assert.deepEqual(history(), [20 * 60]);
});
