import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';

const occurrenceTable = loadOccurrenceTable('fmea-rules/occurrence-table.yaml');
const ONSET = 1_764_000_000_000;
const S = 1000;

const record = (worksheet: string, yaml: string) => ({ worksheet, sourceFile: `${worksheet}.yaml`, yaml, sha256: createHash('sha256').update(yaml).digest('hex'), publishedAtMs: 0, publishedBy: null });
const logCluster = (vehicleId: string, t: number) => ({ clusterId: 'c1', eventType: 'NEW', windowEndMs: t, templates: [{ template: 'CAN timeout on <CANID>' }], keywords: ['timeout'], vehicleCounts: [{ vehicleId, count: 1 }], examples: [{ text: 'CAN timeout on 0x2A3', vehicleId, service: 'gw', traceId: 't1', timestampMs: t }] });
const drift = (vehicleId: string, t: number) => ({ eventId: `d${t}`, name: 'can_bus_error_rate', labels: { bus: 'main' }, scope: vehicleId, detector: 'ewma', phase: 'ONSET', value: 0.09, zScore: 5, windowEndMs: t });
const features = (vehicleId: string, t: number) => ({ vehicleId, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, features: { error_frame_share: 0.2 }, dtcCodes: [] });

type Input = readonly [topic: string, value: unknown];
function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}
/** Feeds inputs in the given order; returns each action's latest version by key. */
function run(sheets: Record<string, string>, inputs: readonly Input[]): Map<string, FmeaAction> {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable }));
  d.tables.set(Topics.rules, new Map(Object.entries(sheets).map(([w, y]) => [w, record(w, y)])));
  const latest = new Map<string, FmeaAction>();
  for (const [topic, value] of inputs) for (const a of d.feed(topic, value) as FmeaAction[]) latest.set(a.key, a);
  return latest;
}

test('firstSeen of an all-condition is when its last part occurred, whichever part arrives last', () => {
  const sheets = { 'can-network': readFileSync('fmea-rules/can-network.yaml', 'utf8') };
  // The drift window ends 65 s after the onset, the log cluster 70 s after: the condition holds from +70 s.
  const inputs: Input[] = [[Topics.drift, drift('V1', ONSET + 65 * S)], [Topics.logClusters, logCluster('V1', ONSET + 70 * S)]];
  for (const order of permutations(inputs)) {
    const a = run(sheets, order).get('S-CAN-03|vehicle:V1');
    assert.ok(a, `S-CAN-03 activates for order ${order.map(([t]) => t).join(' → ')}`);
    assert.equal((a.firstSeenMs - ONSET) / S, 70, `firstSeen for order ${order.map(([t]) => t).join(' → ')}`);
    assert.equal((a.lastSeenMs - ONSET) / S, 70);
  }
});

test('firstSeen and lastSeen of a nested all/any condition are the same for every arrival order', () => {
  const sheet = `worksheet: nested
entries:
  - id: S-NEST-01
    item: a
    function: b
    failureMode: c
    effect: d
    cause: e
    severity: 5
    occurrence: 5
    detection: 5
    scopes: [vehicle, fleet]
    evidence:
      within: 10m
      all:
        - logCluster: { keywords: [timeout] }
        - any:
            - canFeature: error_frame_share > 0.1
            - drift: 'can_bus_error_rate{bus="main"} > 5%'
`;
  // any(+60 s, +65 s) holds from +60 s; the all needs the log cluster too: it holds from +70 s.
  const inputs: Input[] = [[Topics.canFeatures, features('V1', ONSET + 60 * S)], [Topics.drift, drift('V1', ONSET + 65 * S)], [Topics.logClusters, logCluster('V1', ONSET + 70 * S)]];
  for (const order of permutations(inputs)) {
    const out = run({ nested: sheet }, order);
    const label = order.map(([t]) => t).join(' → ');
    for (const key of ['S-NEST-01|vehicle:V1', 'S-NEST-01|fleet:fleet']) {
      const a = out.get(key);
      assert.ok(a, `${key} activates for ${label}`);
      assert.equal((a.firstSeenMs - ONSET) / S, 70, `${key} firstSeen for ${label}`);
      assert.equal((a.lastSeenMs - ONSET) / S, 70, `${key} lastSeen for ${label}`);
    }
  }
});

test('firstSeen of an any-condition is its earliest satisfying part, even when that part arrives late', () => {
  const sheet = `worksheet: either
entries:
  - id: S-ANY-01
    item: a
    function: b
    failureMode: c
    effect: d
    cause: e
    severity: 5
    occurrence: 5
    detection: 5
    evidence:
      within: 10m
      any:
        - canFeature: error_frame_share > 0.1
        - drift: 'can_bus_error_rate{bus="main"} > 5%'
`;
  const inputs: Input[] = [[Topics.canFeatures, features('V1', ONSET + 60 * S)], [Topics.drift, drift('V1', ONSET + 65 * S)]];
  for (const order of permutations(inputs)) {
    const a = run({ either: sheet }, order).get('S-ANY-01|vehicle:V1')!;
    assert.equal((a.firstSeenMs - ONSET) / S, 60);
    assert.equal((a.lastSeenMs - ONSET) / S, 65);
  }
});
