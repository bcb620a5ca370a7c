import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertRecord } from '../../../streams/processors/alerts/alert-types.ts';
import type { DriftEvent } from '../../../streams/processors/drift/drift-types.ts';
import type { ReleaseEvent } from '../../../streams/processors/suppression/release-table.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { GlobalTableSet, globalValidatorsOf } from '../../../streams/runtime/state/global-table-set.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';

const T0 = Date.UTC(2026, 10, 24, 8);
const MIN = 60_000;

function release(releaseId: string, service: string): ReleaseEvent {
  return { releaseId, service, version: '2.0.0', baselineVersion: '1.0.0', phase: 'START', trafficPercent: 2, cohort: 'canary', cohortVehicleIds: ['V1'], timestampMs: T0 };
}

/** Error-rate drift of a non-core chain of gateway: the low-traffic policy suppresses it while gateway is in gray release. */
function drift(w: number): ReplayRecord {
  const labels = { service: 'gateway', operation: 'route' };
  const seriesId = 'span.error_rate{operation="route",service="gateway"}@fleet';
  const value: DriftEvent = {
    eventId: `${seriesId}#${w}`, seriesId, name: 'span.error_rate', labels, scope: 'fleet', detector: 'Z_RULE', phase: w === 0 ? 'ONSET' : 'ONGOING', value: 0.3, baselineMean: 0.01, baselineStdDev: 0.01, zScore: 29,
    chartStatistic: null, chartLimit: null, windowStartMs: T0 + w * MIN, windowEndMs: T0 + (w + 1) * MIN, firstWindowStartMs: T0, evidenceWindows: 2, driftWindows: w + 1, windowMs: MIN,
  };
  return { topic: Topics.drift, key: seriesId, value };
}

const alertsOf = (r: ReturnType<typeof replay>): AlertRecord[] => (r.outputs[Topics.alerts] ?? []).map((o) => o.value as AlertRecord);

test('the releases global table applies the policy file\'s service catalog: an unknown-service record is rejected and the previous value stays; a tombstone deletes', () => {
  const tables = new GlobalTableSet(globalValidatorsOf(buildTopology({ app: 'globals', timing: DRIVE_TIMING })));
  assert.equal(tables.apply(Topics.releases, 'r1', release('r1', 'gateway')), null);
  const rejected = tables.apply(Topics.releases, 'r1', release('r1', 'ghost'));
  assert.equal(rejected?.code, 'RELEASE_UNKNOWN_SERVICE');
  assert.match(rejected!.message, /unknown service "ghost"/);
  assert.equal(tables.table<ReleaseEvent>(Topics.releases).get('r1')?.service, 'gateway', 'the valid release is kept');
  assert.equal(tables.apply(Topics.releases, 'r1', { ...release('r1', 'gateway'), trafficPercent: 140 })?.code, 'INVALID_RECORD', 'malformed records are still rejected');
  assert.equal(tables.apply(Topics.releases, 'r1', null), null);
  assert.equal(tables.table(Topics.releases).has('r1'), false, 'a tombstone deletes the entry');
});

test('an unknown-service release reusing a valid release id cannot end that release: dead-lettered once, rejected by the table, suppression goes on', () => {
  const r = replay(buildTopology({ app: 'catalog-id', timing: DRIVE_TIMING }), [
    { topic: Topics.releases, key: 'gw-2.0.0', value: release('gw-2.0.0', 'gateway') },
    drift(0),
    { topic: Topics.releases, key: 'gw-2.0.0', value: release('gw-2.0.0', 'ghost') },
    drift(1),
    drift(2),
  ]);
  assert.deepEqual(r.dlq.map((o) => [(o.value as { errorCode: string }).errorCode, (o.value as { processor: string }).processor]), [['RELEASE_UNKNOWN_SERVICE', 'release-check']]);
  assert.deepEqual(r.rejectedGlobals.map((g) => [g.key, g.code]), [['gw-2.0.0', 'RELEASE_UNKNOWN_SERVICE']]);
  const alerts = alertsOf(r);
  assert.ok(alerts.length >= 2, JSON.stringify(alerts.map((a) => a.state)));
  for (const a of alerts) assert.ok(a.suppressed && a.releaseId === 'gw-2.0.0', `${a.state} at ${(a.eventTimeMs - T0) / MIN} min still suppressed by gateway's release`);
});

test('a tombstone on the releases topic is not dead-lettered and removes the release: later alerts are unsuppressed', () => {
  const r = replay(buildTopology({ app: 'tombstone', timing: DRIVE_TIMING }), [
    { topic: Topics.releases, key: 'gw-2.0.0', value: release('gw-2.0.0', 'gateway') },
    drift(0),
    drift(1),
    { topic: Topics.releases, key: 'gw-2.0.0', value: null },
    drift(2),
  ]);
  assert.deepEqual(r.dlq, [], 'nothing is dead-lettered');
  assert.deepEqual(r.rejectedGlobals, []);
  const alerts = alertsOf(r);
  const before = alerts.filter((a) => a.eventTimeMs <= T0 + 2 * MIN);
  const after = alerts.filter((a) => a.eventTimeMs > T0 + 2 * MIN);
  assert.ok(before.length > 0 && before.every((a) => a.suppressed), 'suppressed while the release is in the table');
  assert.ok(after.length > 0 && after.every((a) => !a.suppressed && a.suppression === null), `unsuppressed once it is deleted (${JSON.stringify(after.map((a) => [a.state, a.suppressed]))})`);
});
