import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import type { RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';
import { createFmeaEvaluateProcessor, UNREGISTERED_VEHICLE_EVENT } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import type { VehicleRecord } from '../../../streams/processors/fmea/vehicle-registry.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';

// Vehicle ids in evidence are untrusted: the fleet is the vehicle registry, not whoever sends records.
const occurrenceTable = loadOccurrenceTable('fmea-rules/occurrence-table.yaml');
const T0 = 1_764_000_000_000;
const sheet = `worksheet: spoof
entries:
  - id: S-SP-01
    item: a
    function: b
    failureMode: c
    effect: d
    cause: e
    severity: 8
    occurrence: 3
    detection: 6
    scopes: [vehicle, fleet]
    occurrenceFromField: true
    evidence:
      canFeature: error_frame_share > 0.1
`;
const rules = new Map<string, RuleSetRecord>([['spoof', { worksheet: 'spoof', sourceFile: 'spoof.yaml', yaml: sheet, sha256: createHash('sha256').update(sheet).digest('hex'), publishedAtMs: 0, publishedBy: null }]]);
const features = (vehicleId: string, t: number, errorFrameShare: number) => ({ vehicleId, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, features: { error_frame_share: errorFrameShare }, dtcCodes: [] });
const FAILING = 0.2;
const BENIGN = 0;

/** 1,000 registered vehicles; R0..R19 show the failure (20 per 1000: O 8, RPN 8×8×6 = 384, AP H), the rest send benign evidence. */
function registeredFleet(): Driver<unknown, unknown> {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable }));
  d.tables.set(Topics.rules, rules);
  const registry = new Map<string, VehicleRecord>();
  for (let i = 0; i < 1000; i++) registry.set(`R${i}`, { vehicleId: `R${i}`, model: 'model-r', updatedAtMs: T0 });
  d.tables.set(Topics.vehicles, registry);
  for (let i = 0; i < 1000; i++) d.feed(Topics.canFeatures, features(`R${i}`, T0 + i, i < 20 ? FAILING : BENIGN));
  return d;
}
const fleetAction = (out: unknown[]) => (out as FmeaAction[]).find((a) => a.key === 'S-SP-01|fleet:fleet');

test('20,000 unregistered vehicle ids with benign evidence change neither the observed O nor the AP of a real failure', () => {
  const d = registeredFleet();
  const before = fleetAction(d.feed(Topics.canFeatures, features('R0', T0 + 2000, FAILING)))!;
  assert.deepEqual([before.affectedVehicles, before.fleetSize, before.occurrenceObserved, before.rpn, before.actionPriority], [20, 1000, 8, 384, 'H']);
  for (let i = 0; i < 20_000; i++) d.feed(Topics.canFeatures, features(`SPOOF-${i}`, T0 + 3000 + i, BENIGN));
  const after = fleetAction(d.feed(Topics.canFeatures, features('R1', T0 + 30_000, FAILING)))!;
  assert.deepEqual([after.affectedVehicles, after.fleetSize, after.occurrenceObserved, after.rpn, after.actionPriority], [20, 1000, 8, 384, 'H']);
  const unregistered = d.events.filter((e) => e.kind === UNREGISTERED_VEHICLE_EVENT);
  assert.equal(unregistered.length, 20_000, 'each record naming an unregistered vehicle is counted apart');
  assert.equal(unregistered[0]!.details?.['example'], 'SPOOF-0');
});

test('unregistered vehicle ids with failing evidence do not inflate the observed O either', () => {
  const d = registeredFleet();
  for (let i = 0; i < 2000; i++) d.feed(Topics.canFeatures, features(`SPOOF-${i}`, T0 + 3000 + i, FAILING));
  const after = fleetAction(d.feed(Topics.canFeatures, features('R2', T0 + 30_000, FAILING)))!;
  assert.deepEqual([after.affectedVehicles, after.fleetSize, after.occurrenceObserved, after.rpn], [20, 1000, 8, 384]);
  // The spoofed vehicle still gets its own vehicle-scope action: what it reports is shown, it just is not fleet.
  assert.ok(d.store.map.has('act:S-SP-01|vehicle:SPOOF-0'));
});

test('without a registry or a configured fleet size the fleet is unknown: the worksheet O stands, however many ids report', () => {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable }));
  d.tables.set(Topics.rules, rules);
  for (let i = 0; i < 100; i++) d.feed(Topics.canFeatures, features(`V${i}`, T0 + i, BENIGN));
  const a = fleetAction(d.feed(Topics.canFeatures, features('V0', T0 + 1000, FAILING)))!;
  assert.equal(a.fleetSize, 0);
  assert.equal(a.occurrenceObserved, null);
  assert.equal(a.occurrence, 3);
  assert.equal(d.events.filter((e) => e.kind === UNREGISTERED_VEHICLE_EVENT).length, 0, 'with no registry in use nothing is reported as unregistered');
});
