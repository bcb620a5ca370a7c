import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlertRecord } from '../../../streams/processors/alerts/alert-types.ts';
import type { DriftEvent } from '../../../streams/processors/drift/drift-types.ts';
import type { ReleaseEvent } from '../../../streams/processors/suppression/release-table.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';

const T0 = Date.UTC(2026, 10, 24, 8);
const MIN = 60_000;

function release(releaseId: string, service: string): ReleaseEvent {
  return { releaseId, service, version: '2.0.0', baselineVersion: '1.0.0', phase: 'START', trafficPercent: 2, cohort: 'canary', cohortVehicleIds: ['V1'], timestampMs: T0 };
}

/** Error-rate drift of a non-core chain: the low-traffic policy suppresses it while its service is in gray release. */
function drift(service: string, w: number): DriftEvent {
  const labels = { service, operation: 'plan' };
  const seriesId = `span.error_rate{operation="plan",service="${service}"}@fleet`;
  return {
    eventId: `${seriesId}#${w}`, seriesId, name: 'span.error_rate', labels, scope: 'fleet', detector: 'Z_RULE', phase: w === 0 ? 'ONSET' : 'ONGOING', value: 0.3, baselineMean: 0.01, baselineStdDev: 0.01, zScore: 29,
    chartStatistic: null, chartLimit: null, windowStartMs: T0 + w * MIN, windowEndMs: T0 + (w + 1) * MIN, firstWindowStartMs: T0, evidenceWindows: 2, driftWindows: w + 1, windowMs: MIN,
  };
}

test('a release for a service outside the catalog is dead-lettered once (RELEASE_UNKNOWN_SERVICE), suppresses nothing, and the flow goes on', () => {
  const records: ReplayRecord[] = [
    { topic: Topics.releases, key: 'ghost-2.0.0', value: release('ghost-2.0.0', 'ghost') },
    { topic: Topics.releases, key: 'gateway-2.0.0', value: release('gateway-2.0.0', 'gateway') },
    ...[0, 1, 2].flatMap((w) => ['ghost', 'gateway'].map((s) => ({ topic: Topics.drift, key: drift(s, w).seriesId, value: drift(s, w) }))),
  ];
  const r = replay(buildTopology({ app: 'catalog', timing: DRIVE_TIMING }), records);
  const dlq = r.dlq.map((o) => o.value as { errorCode: string; errorMessage: string; processor: string; sourceTopic: string });
  assert.equal(dlq.length, 1, JSON.stringify(dlq));
  assert.equal(dlq[0]!.errorCode, 'RELEASE_UNKNOWN_SERVICE');
  assert.equal(dlq[0]!.processor, 'release-check');
  assert.equal(dlq[0]!.sourceTopic, Topics.releases);
  assert.match(dlq[0]!.errorMessage, /release "ghost-2\.0\.0", field service: unknown service "ghost" \(known: bms, brake-controller, diag, gateway, powertrain-control, telematics\); fix the release event, or add the service/);
  const alerts = (r.outputs[Topics.alerts] ?? []).map((o) => o.value as AlertRecord);
  const of = (service: string) => alerts.filter((a) => a.labels['service'] === service);
  assert.ok(of('gateway').length > 0 && of('gateway').every((a) => a.suppressed && a.releaseId === 'gateway-2.0.0'), 'the known service\'s release suppresses as the policy says');
  assert.ok(of('ghost').length > 0 && of('ghost').every((a) => !a.suppressed), 'the unknown service\'s release suppresses nothing');
});
