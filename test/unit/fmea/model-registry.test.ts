import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import type { RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import type { VehicleRecord } from '../../../streams/processors/fmea/vehicle-registry.ts';
import { parseWorksheet } from '../../../streams/processors/fmea/worksheet-parser.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';

const occurrenceTable = loadOccurrenceTable('fmea-rules/occurrence-table.yaml');
const T0 = 1_764_000_000_000;
const yaml = readFileSync('test/unit/fmea/fixtures/model-scope.yaml', 'utf8');
const rules = new Map<string, RuleSetRecord>([['model-scope', { worksheet: 'model-scope', sourceFile: 'model-scope.yaml', yaml, sha256: createHash('sha256').update(yaml).digest('hex'), publishedAtMs: 0, publishedBy: null }]]);
const features = (vehicleId: string, t: number) => ({ vehicleId, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, features: { error_frame_share: 0.2 }, dtcCodes: [] });
const vehicle = (vehicleId: string, model: string): [string, VehicleRecord] => [vehicleId, { vehicleId, model, updatedAtMs: T0 }];

/** A one-entry worksheet whose O comes from the field (the affected share), judged at `scopes`. */
function fieldORules(id: string, scopes: string): Map<string, RuleSetRecord> {
  const sheet = `worksheet: field-o
entries:
  - id: ${id}
    item: a
    function: b
    failureMode: c
    effect: d
    cause: e
    severity: 5
    occurrence: 2
    detection: 5
    scopes: [${scopes}]
    occurrenceFromField: true
    evidence:
      canFeature: error_frame_share > 0.1
`;
  return new Map([['field-o', { worksheet: 'field-o', sourceFile: 'field-o.yaml', yaml: sheet, sha256: createHash('sha256').update(sheet).digest('hex'), publishedAtMs: 0, publishedBy: null }]]);
}

function driverWithRegistry(): Driver<unknown, unknown> {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable }));
  d.tables.set(Topics.rules, rules);
  // 4 vehicles of model A, 2 of model B, 1 of C
  d.tables.set(Topics.vehicles, new Map([vehicle('A1', 'model-a'), vehicle('A2', 'model-a'), vehicle('A3', 'model-a'), vehicle('A4', 'model-a'), vehicle('B1', 'model-b'), vehicle('B2', 'model-b'), vehicle('C1', 'model-c')]));
  return d;
}

test('with the vehicle registry, evidence naming only a vehicle activates the model scope of that vehicle\'s model', () => {
  const d = driverWithRegistry();
  const out = d.feed(Topics.canFeatures, features('A1', T0)) as FmeaAction[];
  assert.deepEqual(out.map((a) => a.key).sort(), ['S-MS-01|model:model-a', 'S-MS-01|vehicle:A1']);
  const model = out.find((a) => a.scopeKind === 'model')!;
  // The share is over the model's registered vehicles: 1 of 4.
  assert.equal(model.affectedVehicles, 1);
  assert.equal(model.fleetSize, 4);
  assert.deepEqual(model.evidence.vehicles, ['A1']);
  // A vehicle of another model opens that model's action and leaves model-a's alone.
  const b = d.feed(Topics.canFeatures, features('B1', T0 + 10_000)) as FmeaAction[];
  assert.deepEqual(b.map((a) => a.key).sort(), ['S-MS-01|model:model-b', 'S-MS-01|vehicle:B1']);
  const mb = b.find((a) => a.scopeKind === 'model')!;
  assert.equal(mb.affectedVehicles, 1);
  assert.equal(mb.fleetSize, 2);
  // A second model-a vehicle: 2 of 4 affected for model-a; the model-b count is untouched.
  const a2 = (d.feed(Topics.canFeatures, features('A2', T0 + 20_000)) as FmeaAction[]).find((a) => a.scopeKind === 'model')!;
  assert.equal(a2.key, 'S-MS-01|model:model-a');
  assert.equal(a2.affectedVehicles, 2);
  assert.equal(a2.fleetSize, 4);
  assert.equal(a2.updateCount, 2);
  // No action for model-c, whose vehicle never showed the evidence.
  assert.ok(![...d.store.map.keys()].some((k) => k.includes('model:model-c')));
});

test('the observed occurrence at model scope is the share of the model\'s vehicles, not the fleet\'s', () => {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable }));
  d.tables.set(Topics.rules, fieldORules('S-FO-01', 'vehicle, model'));
  // 1 vehicle of model-x among 1000 registered vehicles, 999 of model-y.
  const registry = new Map<string, VehicleRecord>([vehicle('X1', 'model-x')]);
  for (let i = 0; i < 999; i++) registry.set(`Y${i}`, { vehicleId: `Y${i}`, model: 'model-y', updatedAtMs: T0 });
  d.tables.set(Topics.vehicles, registry);
  const out = d.feed(Topics.canFeatures, features('X1', T0)) as FmeaAction[];
  const model = out.find((a) => a.scopeKind === 'model')!;
  const expectedO = occurrenceTable.filter((r) => 1000 >= r.atLeastPer1000).reduce((a, r) => Math.max(a, r.occurrence), 0);
  assert.equal(model.fleetSize, 1);
  assert.equal(model.occurrenceObserved, expectedO); // 1 of 1 = 1000 per 1000
  assert.equal(model.occurrence, expectedO);
});

test('a vehicle the registry does not list yields no model scope; registering it later does', () => {
  const d = driverWithRegistry();
  assert.deepEqual((d.feed(Topics.canFeatures, features('Z1', T0)) as FmeaAction[]).map((a) => a.key), ['S-MS-01|vehicle:Z1']);
  (d.tables.get(Topics.vehicles) as Map<string, VehicleRecord>).set('Z1', { vehicleId: 'Z1', model: 'model-z', updatedAtMs: T0 });
  assert.deepEqual((d.feed(Topics.canFeatures, features('Z1', T0 + 10_000)) as FmeaAction[]).map((a) => a.key).sort(), ['S-MS-01|model:model-z', 'S-MS-01|vehicle:Z1']);
});

test('lint does not warn about model scope on evidence that names only vehicles: the registry maps them', () => {
  const r = parseWorksheet('model-scope.yaml', yaml);
  assert.deepEqual(r.issues.filter((i) => /model scope/.test(i.message)), []);
});

test('a registry change re-publishes the observed O without new evidence: the fleet grows tenfold, the rows of the affected entry are re-published with the smaller share', () => {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable, rulesCheckEveryMs: 5000 }));
  d.tables.set(Topics.rules, fieldORules('S-FO-02', 'vehicle, model, fleet'));
  const registry = new Map<string, VehicleRecord>();
  for (let i = 0; i < 10; i++) registry.set(`X${i}`, { vehicleId: `X${i}`, model: 'model-x', updatedAtMs: T0 });
  d.tables.set(Topics.vehicles, registry);
  const before = d.feed(Topics.canFeatures, features('X0', T0)) as FmeaAction[];
  const oOf = (share: number) => occurrenceTable.filter((r) => share >= r.atLeastPer1000).reduce((a, r) => Math.max(a, r.occurrence), 0);
  assert.deepEqual(before.map((a) => [a.key, a.fleetSize, a.occurrenceObserved]).sort(), [
    ['S-FO-02|fleet:fleet', 10, oOf(100)], ['S-FO-02|model:model-x', 10, oOf(100)], ['S-FO-02|vehicle:X0', 10, oOf(100)],
  ]);
  for (let i = 10; i < 100; i++) registry.set(`X${i}`, { vehicleId: `X${i}`, model: 'model-x', updatedAtMs: T0 });
  // No evidence arrives; the rules check (a wall-clock timer) sees the registry changed.
  const after = d.advanceTo(T0 + 5000) as FmeaAction[];
  assert.notEqual(oOf(10), oOf(100), 'the premise: 1 in 10 and 1 in 100 are different O');
  assert.deepEqual(after.map((a) => [a.key, a.fleetSize, a.occurrenceObserved]).sort(), [
    ['S-FO-02|fleet:fleet', 100, oOf(10)], ['S-FO-02|model:model-x', 100, oOf(10)], ['S-FO-02|vehicle:X0', 100, oOf(10)],
  ]);
  assert.ok(after.every((a) => a.updateCount === 1 && a.status === 'NEW'), 're-published as it stood, with the new counts only');
});
