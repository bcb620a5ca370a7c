import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import { ACTIVE_RULES_KEY, type ActiveRulesState, type RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';

const occurrenceTable = loadOccurrenceTable('fmea-rules/occurrence-table.yaml');
const T0 = 1_764_000_000_000;
const MIN = 60_000;

function record(worksheet: string, yaml: string): RuleSetRecord {
  return { worksheet, sourceFile: `${worksheet}.yaml`, yaml, sha256: createHash('sha256').update(yaml).digest('hex'), publishedAtMs: 0, publishedBy: null };
}
function driver(files: Record<string, string>, cfg: { fleetSize?: number; resolveAfterMs?: number } = {}) {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable, ...cfg }));
  d.tables.set(Topics.rules, new Map(Object.entries(files).map(([w, y]) => [w, record(w, y)])));
  return d;
}
const sheet = (name: string) => readFileSync(`fmea-rules/${name}.yaml`, 'utf8');
const features = (vehicleId: string, t: number, f: Record<string, number>) => ({ vehicleId, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, features: f, dtcCodes: [] });
const logCluster = (vehicleId: string, t: number) => ({ clusterId: 'c1', eventType: 'NEW', windowEndMs: t, templates: [{ template: 'CAN timeout on <CANID>' }], keywords: ['timeout'], vehicleCounts: [{ vehicleId, count: 1 }], examples: [{ text: 'CAN timeout on 0x2A3', vehicleId, service: 'gw', traceId: 't1', timestampMs: t }] });
const drift = (vehicleId: string, t: number, value: number) => ({ eventId: `d${t}`, name: 'can_bus_error_rate', labels: { bus: 'main' }, scope: vehicleId, detector: 'ewma', phase: 'ONSET', value, zScore: 5, windowEndMs: t });
const actions = (out: unknown[]) => out as FmeaAction[];
const REFLECTION = { id_collision_share: 0.4, error_frame_share: 0.05 };

test('repeated evidence updates one action instead of adding another', () => {
  const d = driver({ 'can-network': sheet('can-network') });
  const a1 = actions(d.feed(Topics.canFeatures, features('V1', T0, REFLECTION))).find((a) => a.key === 'S-ODS-08|vehicle:V1');
  const a2 = actions(d.feed(Topics.canFeatures, features('V1', T0 + 10_000, REFLECTION))).find((a) => a.key === 'S-ODS-08|vehicle:V1');
  assert.ok(a1 && a2);
  assert.equal(a1.status, 'NEW');
  assert.equal(a2.status, 'ONGOING');
  assert.equal(a2.updateCount, 2);
  assert.equal(a2.firstSeenMs, T0);
  assert.equal(a2.lastSeenMs, T0 + 10_000);
  assert.deepEqual(a2.evidence.canFeatureWindows, [`V1/main@${T0}`, `V1/main@${T0 + 10_000}`]);
  const stored = [...d.store.map.keys()].filter((k) => k.startsWith('act:S-ODS-08|vehicle:'));
  assert.deepEqual(stored, ['act:S-ODS-08|vehicle:V1']);
});

test('all-conditions must hold within the time window', () => {
  const late = driver({ 'can-network': sheet('can-network') });
  late.feed(Topics.logClusters, logCluster('V1', T0));
  assert.deepEqual(actions(late.feed(Topics.drift, drift('V1', T0 + 31 * MIN, 0.09))).filter((a) => a.entryId === 'S-CAN-03'), []); // window 30m
  const inTime = driver({ 'can-network': sheet('can-network') });
  inTime.feed(Topics.logClusters, logCluster('V1', T0));
  const out = actions(inTime.feed(Topics.drift, drift('V1', T0 + 29 * MIN, 0.09)));
  assert.deepEqual(out.map((a) => a.key).sort(), ['S-CAN-03|fleet:fleet', 'S-CAN-03|vehicle:V1']);
  // the other vehicle's drift does not combine with V1's log cluster at vehicle scope
  const other = driver({ 'can-network': sheet('can-network') });
  other.feed(Topics.logClusters, logCluster('V1', T0));
  assert.deepEqual(actions(other.feed(Topics.drift, drift('V2', T0 + MIN, 0.09))).map((a) => a.key), ['S-CAN-03|fleet:fleet']);
});

test('rank orders by AP, then RPN, then affected vehicles', () => {
  const d = driver({ 'can-network': sheet('can-network'), 'flash-bootloader': sheet('flash-bootloader') });
  // S-FLA-22 via CAN features: S9 O2 D3 = RPN 54, AP L
  const fla = actions(d.feed(Topics.canFeatures, features('V1', T0, { nrc_share: 0.9, uds_request_count: 5 }))).find((a) => a.key === 'S-FLA-22|vehicle:V1');
  assert.equal(fla?.rank, 1);
  // S-ODS-08: S8 O4 D5 = RPN 160, AP M → ranks before every L action
  const ods = actions(d.feed(Topics.canFeatures, features('V2', T0, REFLECTION))).find((a) => a.key === 'S-ODS-08|vehicle:V2');
  assert.equal(ods?.actionPriority, 'M');
  assert.equal(ods?.rank, 1);
  const fla2 = actions(d.feed(Topics.canFeatures, features('V1', T0 + 10_000, { nrc_share: 0.9, uds_request_count: 5 }))).find((a) => a.key === 'S-FLA-22|vehicle:V1');
  assert.equal(fla2?.actionPriority, 'L');
  // behind S-ODS-08 for V2 and for the fleet (AP M); S-FLA-22|fleet:fleet ties (same AP, RPN and
  // affected vehicles) and shares rank 3 (competition ranking)
  assert.equal(fla2?.rank, 3);
});

test('an action resolves after the quiet period and reopens on new evidence', () => {
  const d = driver({ 'can-network': sheet('can-network') }, { resolveAfterMs: 60 * MIN });
  d.feed(Topics.canFeatures, features('V1', T0, REFLECTION));
  d.feed(Topics.canFeatures, features('V1', T0 + 30 * MIN, REFLECTION));
  assert.deepEqual(d.advanceTo(T0 + 70 * MIN), []); // the T0 timer was re-armed by the later evidence
  const resolved = actions(d.advanceTo(T0 + 90 * MIN));
  assert.deepEqual(resolved.map((a) => [a.key, a.status]).sort(), [['S-ODS-08|fleet:fleet', 'RESOLVED'], ['S-ODS-08|vehicle:V1', 'RESOLVED']]);
  const again = actions(d.feed(Topics.canFeatures, features('V1', T0 + 100 * MIN, REFLECTION))).find((a) => a.key === 'S-ODS-08|vehicle:V1');
  assert.equal(again?.status, 'REOPENED');
});

test('observed occurrence rises with the affected share and changes RPN and AP', () => {
  const d = driver({ bms: sheet('bms') }, { fleetSize: 1000 });
  const cluster = (vehicles: string[]) => ({ clusterId: 'e1', eventType: 'NEW', windowEndMs: T0, templates: [{ template: 'EEPROM verify failed' }], keywords: ['eeprom'], vehicleCounts: vehicles.map((v) => ({ vehicleId: v, count: 1 })), examples: [] });
  const one = actions(d.feed(Topics.logClusters, cluster(['V1']))).find((a) => a.key === 'S-BMS-14|fleet:fleet');
  assert.equal(one?.occurrenceObserved, 5); // 1 per 1000
  assert.equal(one?.occurrenceWorksheet, 3);
  assert.equal(one?.rpn, 6 * 5 * 6);
  const many = actions(d.feed(Topics.logClusters, cluster(Array.from({ length: 25 }, (_, i) => `V${i}`)))).find((a) => a.key === 'S-BMS-14|fleet:fleet');
  assert.equal(many?.affectedVehicles, 25);
  assert.equal(many?.occurrenceObserved, 8); // 25 per 1000 ≥ 20
  assert.equal(many?.rpn, 6 * 8 * 6);
  assert.equal(many?.actionPriority, 'H'); // S4-6, O8-10, D5-6
});

test('suppressed alerts are not evidence unless the rule asks for them', () => {
  const yaml = `worksheet: alerts
entries:
  - id: S-AL-01
    item: a
    function: b
    failureMode: c
    effect: d
    cause: e
    severity: 5
    occurrence: 5
    detection: 5
    evidence:
      alert: 'can_bus_error_rate{bus="main"}'
  - id: S-AL-02
    item: a
    function: b
    failureMode: c
    effect: d
    cause: e
    severity: 5
    occurrence: 5
    detection: 5
    evidence:
      alert: { condition: 'can_bus_error_rate{bus="main"}', includeSuppressed: true }
`;
  const d = driver({ alerts: yaml });
  const alert = { alertId: 'a1', name: 'can_bus_error_rate', labels: { bus: 'main' }, scope: 'V1', state: 'FIRING', suppressed: true, eventTimeMs: T0, value: 0.1 };
  assert.deepEqual(actions(d.feed(Topics.alerts, alert)).map((a) => a.entryId), ['S-AL-02']);
  assert.deepEqual(actions(d.feed(Topics.alerts, { ...alert, suppressed: false, eventTimeMs: T0 + 1 })).map((a) => a.entryId).sort(), ['S-AL-01', 'S-AL-02']);
});

test('hot reload: a broken rule set is refused and the last good one stays active', () => {
  const good = sheet('can-network');
  const d = driver({ 'can-network': good });
  assert.equal(actions(d.feed(Topics.canFeatures, features('V1', T0, REFLECTION))).find((a) => a.entryId === 'S-ODS-08')?.severity, 8);
  // publish a broken version (severity 11)
  d.tables.set(Topics.rules, new Map([['can-network', record('can-network', good.replace('severity: 8', 'severity: 11'))]]));
  const stillOld = actions(d.feed(Topics.canFeatures, features('V2', T0, REFLECTION))).find((a) => a.key === 'S-ODS-08|vehicle:V2');
  assert.equal(stillOld?.severity, 8);
  const state = d.store.get(ACTIVE_RULES_KEY) as ActiveRulesState;
  assert.match(state.refused!.issues[0]!, /can-network\.yaml:\d+:\d+: error \(entries\[1\]\.severity\)/);
  // a fixed version replaces it
  d.tables.set(Topics.rules, new Map([['can-network', record('can-network', good.replace('severity: 8', 'severity: 9'))]]));
  const updated = actions(d.feed(Topics.canFeatures, features('V3', T0, REFLECTION))).find((a) => a.key === 'S-ODS-08|vehicle:V3');
  assert.equal(updated?.severity, 9);
  assert.equal(updated?.actionPriority, 'H'); // S9 O4 D5
  // a second worksheet that duplicates an entry id is refused as a set, the first keeps working
  const dup = sheet('bms').replace('S-BMS-14', 'S-ODS-08').replace('worksheet: bms', 'worksheet: dup');
  d.tables.set(Topics.rules, new Map([['can-network', record('can-network', good.replace('severity: 8', 'severity: 9'))], ['dup', record('dup', dup)]]));
  assert.ok(actions(d.feed(Topics.canFeatures, features('V4', T0, REFLECTION))).some((a) => a.key === 'S-ODS-08|vehicle:V4'));
  assert.match((d.store.get(ACTIVE_RULES_KEY) as ActiveRulesState).refused!.issues[0]!, /duplicate entry id 'S-ODS-08'/);
});

test('a worker that only ever saw a broken rule set evaluates nothing and does not crash', () => {
  const d = driver({ broken: 'worksheet: broken\nentries: [' });
  assert.deepEqual(d.feed(Topics.canFeatures, features('V1', T0, REFLECTION)), []);
});

test('a record an adapter cannot read is dead-lettered with the typed INVALID_RECORD code, not thrown at the caller', () => {
  const d = driver({ 'can-network': sheet('can-network') });
  assert.deepEqual(d.feed(Topics.canaryVerdicts, { releaseId: 'r', metric: 'latency', verdict: 'MAYBE', evaluatedAtMs: T0 }), []);
  assert.deepEqual(d.feed(Topics.canFeatures, { bus: 'main', windowEndMs: T0 } as never), []);
  const letters = d.dlq.map((o) => o.value as { errorCode: string; errorMessage: string; sourceTopic: string });
  assert.deepEqual(letters.map((l) => [l.sourceTopic, l.errorCode]), [[Topics.canaryVerdicts, 'INVALID_RECORD'], [Topics.canFeatures, 'INVALID_RECORD']]);
  assert.match(letters[0]!.errorMessage, /verdict/);
});

test('model scope combines evidence of different vehicles of the same model', () => {
  const yaml = `worksheet: model-scope
entries:
  - id: S-MOD-01
    item: a
    function: b
    failureMode: c
    effect: d
    cause: e
    severity: 5
    occurrence: 5
    detection: 5
    scopes: [model]
    evidence:
      within: 1h
      all:
        - canFeature: error_frame_share > 0.1
        - canFeature: nrc_share > 0.5
`;
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable, modelOf: (v) => (v.startsWith('A') ? 'model-a' : 'model-b') }));
  d.tables.set(Topics.rules, new Map([['model-scope', record('model-scope', yaml)]]));
  assert.deepEqual(d.feed(Topics.canFeatures, features('A1', T0, { error_frame_share: 0.2 })), []);
  assert.deepEqual(d.feed(Topics.canFeatures, features('B1', T0 + MIN, { nrc_share: 0.9 })), []); // other model
  const out = actions(d.feed(Topics.canFeatures, features('A2', T0 + 2 * MIN, { nrc_share: 0.9 })));
  assert.deepEqual(out.map((a) => a.key), ['S-MOD-01|model:model-a']);
  assert.deepEqual(out[0]!.evidence.vehicles.sort(), ['A1', 'A2']);
});

test('without a model registry, model scope comes only from a model label on drift/alert series', () => {
  const yaml = readFileSync('test/unit/fmea/fixtures/model-scope.yaml', 'utf8');
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable }));
  d.tables.set(Topics.rules, new Map([['model-scope', record('model-scope', yaml)]]));
  // CAN feature vectors carry no model: only the vehicle scope activates.
  assert.deepEqual(actions(d.feed(Topics.canFeatures, features('V1', T0, { error_frame_share: 0.2 }))).map((a) => a.key), ['S-MS-01|vehicle:V1']);
  // A drift event on a series labelled with the model activates the model scope too.
  const labelled = { ...drift('V2', T0 + MIN, 0.09), labels: { bus: 'main', model: 'tesla_model3' } };
  assert.deepEqual(actions(d.feed(Topics.drift, labelled)).map((a) => a.key).sort(), ['S-MS-01|model:tesla_model3', 'S-MS-01|vehicle:V2']);
});

test('remembered leaf matches are one store key per scope and leaf, and go when their entry leaves the rules', () => {
  const d = driver({ 'can-network': sheet('can-network'), 'gray-release': sheet('gray-release') });
  d.feed(Topics.logClusters, logCluster('V1', T0));
  const leafKeys = () => [...d.store.map.keys()].filter((k) => k.startsWith('lm:')).sort();
  const before = leafKeys();
  assert.ok(before.length > 0 && before.every((k) => /^lm:(vehicle:V1|fleet:fleet)\|S-CAN-03\//.test(k)), `keys: ${before.join(', ')}`);
  // Removing another worksheet keeps these matches: the S-CAN-03 window still completes with a later drift.
  d.tables.set(Topics.rules, new Map([['can-network', record('can-network', sheet('can-network'))]]));
  d.feed(Topics.canFeatures, features('V9', T0 + MIN, { id_collision_share: 0, error_frame_share: 0 }));
  assert.deepEqual(leafKeys(), before);
  assert.ok(actions(d.feed(Topics.drift, drift('V1', T0 + 2 * MIN, 0.09))).some((a) => a.key === 'S-CAN-03|vehicle:V1'));
  // Once can-network is gone, its remembered matches are deleted rather than kept forever.
  d.tables.set(Topics.rules, new Map([['gray-release', record('gray-release', sheet('gray-release'))]]));
  d.feed(Topics.canFeatures, features('V9', T0 + 3 * MIN, { id_collision_share: 0, error_frame_share: 0 }));
  assert.deepEqual(leafKeys(), []);
});

test('affected vehicles are those the entry is active for, not every vehicle named in fleet-scope evidence', () => {
  const d = driver({ 'can-network': sheet('can-network') }, { fleetSize: 10 });
  // V1 shows the whole failure mode (timeout cluster + drifting error rate); V2 only drifts; V3 only logs.
  d.feed(Topics.logClusters, logCluster('V1', T0));
  d.feed(Topics.drift, drift('V1', T0 + MIN, 0.09));
  d.feed(Topics.drift, drift('V2', T0 + 2 * MIN, 0.09));
  const out = actions(d.feed(Topics.logClusters, logCluster('V3', T0 + 3 * MIN)));
  const fleet = out.find((a) => a.key === 'S-CAN-03|fleet:fleet')!;
  assert.ok(fleet, 'the fleet action is updated');
  assert.equal(fleet.affectedVehicles, 1, 'only V1 has both leaves');
  assert.ok(fleet.evidence.vehicles.includes('V2') && fleet.evidence.vehicles.includes('V3'), 'the evidence still names every vehicle it came from');
  // One of ten vehicles = 100 per 1000: the observed O of the reference table for that share, not for 3 of 10.
  const shareOf = (n: number) => occurrenceTable.filter((r) => (n / 10) * 1000 >= r.atLeastPer1000).reduce((o, r) => Math.max(o, r.occurrence), 0);
  assert.equal(fleet.occurrenceObserved, shareOf(1));
});
