/**
 * The whole chain in memory on a gray release with a canary latency regression, using
 * the default policy file. This is the expectation the broker end-to-end test should
 * reproduce (see the report): the canary fails loudly, the fleet P95 drift alert is
 * suppressed for 5 minutes and then published unsuppressed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { runDriftPipeline } from '../../helpers/drift-pipeline.ts';
import { parsePolicyFile } from '../../../streams/processors/suppression/policy-file.ts';
import type { SpanRecord } from '../../../streams/processors/series/input-records.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { createSeriesDriftProcessor } from '../../../streams/processors/drift/series-drift-processor.ts';
import { createAlertProcessor } from '../../../streams/processors/alerts/alert-processor.ts';
import { createCanaryProcessor } from '../../../streams/processors/canary/canary-processor.ts';
import type { AlertRecord } from '../../../streams/processors/alerts/alert-types.ts';
import type { CanaryVerdictRecord } from '../../../streams/processors/canary/canary-types.ts';
import { gaussian, MIN, projectFile, release, span, T0 } from './fixtures.ts';

const policies = parsePolicyFile(readFileSync(projectFile('config/suppression-policies.yaml'), 'utf8'), 'config/suppression-policies.yaml');
const SVC = 'adas-planner';
const OP = 'plan.trajectory';

function spans(): SpanRecord[] {
  const g = gaussian('gray');
  const out: SpanRecord[] = [];
  for (let m = 0; m < 60; m++) {
    for (let i = 0; i < 100; i++) {
      const canary = m >= 40 && i % 10 === 0;
      const median = canary ? 120 : 40;
      out.push(span({ service: SVC, op: OP, endMs: T0 + m * MIN + i * 600 + 1, durMs: median * Math.exp(0.3 * g()), error: i % 100 === 7, version: canary ? '2.0.0' : '1.0.0', vehicle: `VIN${i % 20}` }));
    }
  }
  return out;
}

test('gray release with a canary latency regression: canary fails unsuppressed, P95 drift suppressed for 5 min', () => {
  const releases = [
    release({ releaseId: 'adas-2.0.0', service: SVC, version: '2.0.0', baselineVersion: '1.0.0', phase: 'START', trafficPercent: 10, timestampMs: T0 + 40 * MIN - 1 }),
    release({ releaseId: 'adas-2.0.0', service: SVC, version: '2.0.0', baselineVersion: '1.0.0', phase: 'ROLLBACK', trafficPercent: 0, timestampMs: T0 + 60 * MIN }),
  ];
  const out = runDriftPipeline({ spans: spans(), releases, alerts: { policies }, flushUntilMs: T0 + 70 * MIN });
  assert.equal(out.raw.dlq.length, 0);

  const latencyVerdicts = out.verdicts.filter((v) => v.metric === 'latency');
  assert.ok(latencyVerdicts.length > 0);
  assert.ok(latencyVerdicts.every((v) => v.verdict === 'FAIL'), latencyVerdicts.map((v) => v.verdict).join());
  assert.equal(latencyVerdicts[latencyVerdicts.length - 1]!.final, true);
  assert.ok(out.verdicts.filter((v) => v.metric === 'error_rate').every((v) => v.verdict === 'PASS'));

  const canaryAlerts = out.alerts.filter((a) => a.source === 'CANARY');
  assert.deepEqual(canaryAlerts.map((a) => [a.state, a.suppressed, a.unsuppressible, a.labels['metric']]), [['FIRING', false, true, 'latency'], ['RESOLVED', false, true, 'latency']]);

  const p95 = out.alerts.filter((a) => a.name === 'span.latency.p95');
  const onset = p95[0]!.activeSinceMs;
  assert.ok(onset >= T0 + 41 * MIN && onset <= T0 + 42 * MIN, `drift seen within 2 windows of the release (onset ${(onset - T0) / MIN} min)`);
  assert.deepEqual(p95.map((a) => [a.state, a.suppressed]), [['PENDING', true], ['FIRING', true], ['FIRING', false], ['RESOLVED', false]]);
  assert.equal(p95[0]!.suppression!.policy, 'gray-release-latency-drift');
  assert.equal(p95[0]!.suppression!.releaseId, 'adas-2.0.0');
  assert.equal(p95[0]!.suppression!.untilMs, onset + 5 * MIN);
  assert.equal(p95[2]!.eventTimeMs, onset + 5 * MIN, 'published unsuppressed when the 5 minutes are over');
  assert.equal(out.alerts.filter((a) => a.name === 'span.error_rate').length, 0, 'error rate did not change');
});

test('every record the pipeline publishes is valid for its Avro schema', () => {
  const releases = [release({ releaseId: 'r', service: SVC, phase: 'START', trafficPercent: 10, timestampMs: T0 + 40 * MIN - 1 })];
  const out = runDriftPipeline({ spans: spans(), releases, alerts: { policies }, flushUntilMs: T0 + 70 * MIN });
  const schemaOf: Record<string, string> = { [Topics.baselines]: 'baseline', [Topics.drift]: 'drift-event', [Topics.alerts]: 'alert', [Topics.canaryVerdicts]: 'canary-verdict' };
  const seen = new Set<string>();
  for (const o of out.raw.outputs) {
    if (o.value === null) continue;
    const type = avro.Type.forSchema(JSON.parse(readFileSync(projectFile(`schemas/${schemaOf[o.topic]}.avsc`), 'utf8')));
    assert.ok(type.isValid(o.value, { errorHook: (path) => assert.fail(`${o.topic}: invalid at ${path.join('.')}`) }));
    seen.add(o.topic);
  }
  assert.deepEqual([...seen].sort(), Object.keys(schemaOf).sort());
  for (const stem of Object.values(schemaOf)) {
    const type = avro.Type.forSchema(JSON.parse(readFileSync(projectFile(`schemas/${stem}.avsc`), 'utf8')));
    const ex = JSON.parse(readFileSync(projectFile(`schemas/examples/${stem}.json`), 'utf8'));
    assert.deepEqual(type.fromBuffer(type.toBuffer(ex)), type.fromBuffer(type.toBuffer(type.clone(ex))));
    assert.ok(type.isValid(ex));
  }
});

test('the same processors under the project replay runtime give the same gray-release story', () => {
  const releases = [
    release({ releaseId: 'adas-2.0.0', service: SVC, version: '2.0.0', baselineVersion: '1.0.0', phase: 'START', trafficPercent: 10, timestampMs: T0 + 40 * MIN - 1 }),
  ];
  const spanRecs = spans();
  // Release events enter the stream where their event time falls, like a global table read in time order.
  const feed: ReplayRecord[] = [];
  let ri = 0;
  for (const s of spanRecs) {
    while (ri < releases.length && releases[ri]!.timestampMs <= s.endTimeUs / 1000) {
      feed.push({ topic: Topics.releases, key: releases[ri]!.releaseId, value: releases[ri]! });
      ri++;
    }
    feed.push({ topic: Topics.spans, key: s.vehicleId, value: s });
  }
  const r = replay([createSeriesDriftProcessor(), createAlertProcessor({ policies }), createCanaryProcessor()], feed);
  assert.equal(r.dlq.length, 0);
  const alerts = (r.outputs[Topics.alerts] ?? []).map((o) => o.value as AlertRecord);
  const p95 = alerts.filter((a) => a.name === 'span.latency.p95');
  assert.deepEqual(p95.map((a) => [a.state, a.suppressed]), [['PENDING', true], ['FIRING', true], ['FIRING', false]]);
  assert.equal(p95[2]!.eventTimeMs - p95[0]!.activeSinceMs, 5 * MIN);
  const canary = alerts.filter((a) => a.source === 'CANARY');
  assert.deepEqual(canary.map((a) => [a.state, a.suppressed, a.unsuppressible]), [['FIRING', false, true]]);
  const verdicts = (r.outputs[Topics.canaryVerdicts] ?? []).map((o) => o.value as CanaryVerdictRecord);
  assert.ok(verdicts.filter((v) => v.metric === 'latency').every((v) => v.verdict === 'FAIL'));
});

test('an engine that lags the release system: the table already shows ROLLBACK, yet each record is judged as the release stood at its event time', () => {
  const start = { phase: 'START' as const, trafficPercent: 10, cohortVehicleIds: [], timestampMs: T0 + 40 * MIN - 1 };
  const rollback = release({ releaseId: 'adas-2.0.0', service: SVC, version: '2.0.0', baselineVersion: '1.0.0', phase: 'ROLLBACK', trafficPercent: 0, timestampMs: T0 + 60 * MIN, history: [start] });
  // The final event is in the table before the first span is read (it is all the compacted topic holds).
  const feed: ReplayRecord[] = [{ topic: Topics.releases, key: rollback.releaseId, value: rollback }, ...spans().map((s) => ({ topic: Topics.spans, key: s.vehicleId, value: s }))];
  const r = replay([createSeriesDriftProcessor(), createAlertProcessor({ policies }), createCanaryProcessor()], feed);
  assert.equal(r.dlq.length, 0);
  const alerts = (r.outputs[Topics.alerts] ?? []).map((o) => o.value as AlertRecord);
  const p95 = alerts.filter((a) => a.name === 'span.latency.p95');
  assert.deepEqual(p95.slice(0, 3).map((a) => [a.state, a.suppressed]), [['PENDING', true], ['FIRING', true], ['FIRING', false]]);
  assert.equal(p95[0]!.suppression!.releaseId, 'adas-2.0.0');
  assert.equal(p95[2]!.eventTimeMs - p95[0]!.activeSinceMs, 5 * MIN, 'suppressed for the policy\'s 5 minutes, not cut short by the newer ROLLBACK');
  const canary = alerts.filter((a) => a.source === 'CANARY');
  assert.deepEqual(canary.map((a) => [a.state, a.suppressed]).slice(0, 1), [['FIRING', false]], 'the canary cohort is formed from spans inside the release');
  const verdicts = (r.outputs[Topics.canaryVerdicts] ?? []).map((o) => o.value as CanaryVerdictRecord).filter((v) => v.metric === 'latency');
  assert.ok(verdicts.length > 0 && verdicts.every((v) => v.verdict === 'FAIL'));
});

test('an invalid release update is rejected by the global table: the release in progress keeps suppressing, and the rejection is reported', () => {
  const start = release({ releaseId: 'adas-2.0.0', service: SVC, version: '2.0.0', baselineVersion: '1.0.0', phase: 'START', trafficPercent: 10, timestampMs: T0 + 40 * MIN - 1 });
  // A release system bug: 150 % traffic. Were it applied, the table would hold an invalid release and suppression would stop.
  const broken = release({ ...start, phase: 'RAMP', trafficPercent: 150, timestampMs: T0 + 41 * MIN, history: [{ phase: 'START', trafficPercent: 10, cohortVehicleIds: [], timestampMs: start.timestampMs }] });
  const feed: ReplayRecord[] = [];
  const pending = [start, broken];
  for (const s of spans()) {
    while (pending.length > 0 && pending[0]!.timestampMs <= s.endTimeUs / 1000) {
      const ev = pending.shift()!;
      feed.push({ topic: Topics.releases, key: ev.releaseId, value: ev });
    }
    feed.push({ topic: Topics.spans, key: s.vehicleId, value: s });
  }
  const r = replay([createSeriesDriftProcessor(), createAlertProcessor({ policies }), createCanaryProcessor()], feed);
  assert.deepEqual(r.rejectedGlobals.map((g) => [g.topic, g.key, g.code]), [[Topics.releases, 'adas-2.0.0', 'INVALID_RECORD']]);
  assert.match(r.rejectedGlobals[0]!.message, /field trafficPercent: traffic share 150/);
  const p95 = (r.outputs[Topics.alerts] ?? []).map((o) => o.value as AlertRecord).filter((a) => a.name === 'span.latency.p95');
  assert.deepEqual(p95.map((a) => [a.state, a.suppressed]), [['PENDING', true], ['FIRING', true], ['FIRING', false]]);
  assert.equal(p95[2]!.eventTimeMs - p95[0]!.activeSinceMs, 5 * MIN);
});
