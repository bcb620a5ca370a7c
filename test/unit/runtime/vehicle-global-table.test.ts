/** The vehicle registry global table keeps a vehicle's model when a bad registry record arrives. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelIndex, type VehicleRecord } from '../../../streams/processors/fmea/vehicle-registry.ts';
import { GlobalTableSet, globalValidatorsOf } from '../../../streams/runtime/state/global-table-set.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';

const entry = (vehicleId: string, model: string, extra: Partial<VehicleRecord> = {}): VehicleRecord => ({ vehicleId, model, modelYear: 2024, ecuSoftware: {}, source: 'test', updatedAtMs: 1_764_000_000_000, ...extra });

test('a registry record with an empty model, a foreign key or a bad model year is rejected with its field; the vehicle keeps its model', () => {
  const tables = new GlobalTableSet(globalValidatorsOf(buildTopology({ app: 'globals', timing: DRIVE_TIMING })));
  assert.equal(tables.apply(Topics.vehicles, 'V1', entry('V1', 'sedan-a')), null);
  assert.equal(tables.apply(Topics.vehicles, 'V2', entry('V2', 'sedan-a')), null);
  const cases: [string, VehicleRecord, string][] = [
    ['V1', entry('V1', ''), 'model'],
    ['V1', entry('V1', '   '), 'model'],
    ['V1', entry('V2', 'van-b'), 'vehicleId'],
    ['V1', entry('V1', 'van-b', { modelYear: 20240 }), 'modelYear'],
  ];
  for (const [key, value, field] of cases) {
    const err = tables.apply(Topics.vehicles, key, value);
    assert.equal(err?.code, 'INVALID_RECORD', `${JSON.stringify(value)} under ${key}`);
    assert.equal(err!.details['field'], field);
    assert.match(err!.message, new RegExp(`field ${field}`));
  }
  const index = new ModelIndex().use(tables.table<VehicleRecord>(Topics.vehicles));
  assert.equal(index.modelOf('V1'), 'sedan-a', 'the valid entry stays');
  assert.equal(index.vehiclesOf('sedan-a'), 2, 'and still counts for its model');
  // A valid re-registration moves the vehicle; a tombstone removes it.
  assert.equal(tables.apply(Topics.vehicles, 'V1', entry('V1', 'van-b', { modelYear: null })), null);
  assert.equal(new ModelIndex().use(tables.table<VehicleRecord>(Topics.vehicles)).modelOf('V1'), 'van-b');
  assert.equal(tables.apply(Topics.vehicles, 'V1', null), null);
  assert.equal(tables.table(Topics.vehicles).has('V1'), false);
});
