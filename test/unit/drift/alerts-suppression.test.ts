import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Topics } from '../../../streams/topic-catalog.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { createAlertProcessor } from '../../../streams/processors/alerts/alert-processor.ts';
import type { AlertRecord } from '../../../streams/processors/alerts/alert-types.ts';
import { alertId } from '../../../streams/processors/alerts/alert-id.ts';
import { runStages } from '../../helpers/run-stages.ts';
import type { DriftEvent, DriftPhase } from '../../../streams/processors/drift/drift-types.ts';
import { parsePolicyFile } from '../../../streams/processors/suppression/policy-file.ts';
import { createReleaseCheckProcessor } from '../../../streams/processors/suppression/release-check.ts';
import { replay } from '../../../streams/runtime/replay/replay.ts';
import { evaluateSuppression } from '../../../streams/processors/suppression/evaluate-suppression.ts';
import { readReleases, releaseAsOf, validateReleaseEvent, type ReleaseEvent } from '../../../streams/processors/suppression/release-table.ts';
import { MIN, projectFile, release, T0 } from './fixtures.ts';

const policies = parsePolicyFile(readFileSync(projectFile('config/suppression-policies.yaml'), 'utf8'), 'config/suppression-policies.yaml');
const NO_POLICIES = { file: '(none)', coreChains: [], policies: [] };

function drift(name: string, service: string, w: number, phase: DriftPhase = w === 0 ? 'ONSET' : 'ONGOING', op = 'plan'): DriftEvent {
  const labels = { service, operation: op };
  const seriesId = `${name}{operation="${op}",service="${service}"}@fleet`;
  return {
    eventId: `${seriesId}#${w}#${phase}`, seriesId, name, labels, scope: 'fleet', detector: 'Z_RULE', phase, value: 90, baselineMean: 40, baselineStdDev: 5, zScore: 10,
    chartStatistic: null, chartLimit: null, windowStartMs: T0 + w * MIN, windowEndMs: T0 + (w + 1) * MIN, firstWindowStartMs: T0, evidenceWindows: 2, driftWindows: w + 1, windowMs: MIN,
  };
}

function runAlerts(events: DriftEvent[], opts: { policies?: typeof policies; releases?: ReleaseEvent[]; flush?: number; knownServices?: Set<string> } = {}): AlertRecord[] {
  const p = createAlertProcessor({ policies: opts.policies ?? NO_POLICIES, knownServices: opts.knownServices });
  const r = runStages([p], events.map((e) => ({ topic: Topics.drift, key: e.seriesId, value: e })), {
    globals: (opts.releases ?? []).map((x) => ({ topic: Topics.releases, key: x.releaseId, value: x, eventTimeMs: x.timestampMs })),
    flushUntilMs: opts.flush ?? T0 + 60 * MIN,
  });
  assert.equal(r.dlq.length, 0);
  return r.outputs.map((o) => o.value as AlertRecord);
}

const P95 = 'span.latency.p95';
const ERR = 'span.error_rate';

test('lifecycle: pending → firing after `for`, deduplicated, resolved after keep_firing_for', () => {
  const out = runAlerts([drift(P95, 'svc', 0), drift(P95, 'svc', 1), drift(P95, 'svc', 2), drift(P95, 'svc', 3, 'RECOVERED')]);
  assert.deepEqual(out.map((a) => a.state), ['PENDING', 'FIRING', 'RESOLVED']);
  const id = alertId('span-latency-p95-drift', drift(P95, 'svc', 0).seriesId);
  assert.ok(out.every((a) => a.alertId === id), 'one stable id per rule and series');
  assert.equal(out[0]!.activeSinceMs, T0 + 1 * MIN);
  assert.equal(out[1]!.firingSinceMs, T0 + 2 * MIN, 'for = 1 min after activation');
  // Last true window ended at T0+3min; keep_firing_for 2 min → resolved at T0+5min, not at the RECOVERED event (T0+4min).
  assert.equal(out[2]!.resolvedAtMs, T0 + 5 * MIN);
});

test('lifecycle: a pending alert whose drift stops resolves without ever firing; a missing heartbeat ends truth', () => {
  const out = runAlerts([drift(P95, 'svc', 0), drift(P95, 'svc', 5, 'ONSET', 'other')]);
  const mine = out.filter((a) => a.labels['operation'] === 'plan');
  assert.deepEqual(mine.map((a) => a.state), ['PENDING', 'RESOLVED']);
  assert.equal(mine[1]!.firingSinceMs, null);
});

test('series without a rule raise no alert', () => {
  assert.deepEqual(runAlerts([drift('can_bus_load.mean', 'svc', 0), drift('can_bus_load.mean', 'svc', 1)]), []);
});

test('gray release + drift: P95 alerts suppressed for 5 min from onset, then published unsuppressed; audit fields', () => {
  const rel = release({ releaseId: 'r1', service: 'svc', phase: 'START', trafficPercent: 10, timestampMs: T0 - MIN });
  const out = runAlerts(Array.from({ length: 8 }, (_, w) => drift(P95, 'svc', w)), { policies, releases: [rel] });
  assert.deepEqual(out.map((a) => [a.state, a.suppressed, (a.eventTimeMs - T0) / MIN]), [
    ['PENDING', true, 1], ['FIRING', true, 2],
    // Onset T0+1min + 5 min = T0+6min: the window ending then is no longer suppressed.
    ['FIRING', false, 6],
    // Last drifting window ended at T0+8min; keep_firing_for 2 min.
    ['RESOLVED', false, 10],
  ]);
  const s = out[0]!.suppression!;
  assert.equal(s.policy, 'gray-release-latency-drift');
  assert.equal(s.releaseId, 'r1');
  assert.equal(s.service, 'svc');
  assert.equal(s.startedAtMs, T0 + MIN);
  assert.equal(s.untilMs, T0 + 6 * MIN);
  assert.equal(out[0]!.releaseId, 'r1');
  assert.equal(out[2]!.suppression, null);
});

test('without a release in progress, the same drift is not suppressed; an ended release stops suppressing', () => {
  const events = Array.from({ length: 3 }, (_, w) => drift(P95, 'svc', w));
  assert.ok(runAlerts(events, { policies }).every((a) => !a.suppressed));
  const ended = release({ releaseId: 'r1', service: 'svc', phase: 'PROMOTE', timestampMs: T0 - MIN });
  assert.ok(runAlerts(events, { policies, releases: [ended] }).every((a) => !a.suppressed));
  const other = release({ releaseId: 'r2', service: 'other-svc', phase: 'START', timestampMs: T0 - MIN });
  assert.ok(runAlerts(events, { policies, releases: [other] }).every((a) => !a.suppressed));
});

test('low-traffic gray release: non-core error-rate alerts suppressed until the release ends', () => {
  const start = release({ releaseId: 'r1', service: 'infotainment', phase: 'RAMP', trafficPercent: 3, timestampMs: T0 - MIN });
  const end = release({ releaseId: 'r1', service: 'infotainment', phase: 'END', trafficPercent: 3, timestampMs: T0 + 3.5 * MIN });
  const events = Array.from({ length: 6 }, (_, w) => drift(ERR, 'infotainment', w, w === 0 ? 'ONSET' : 'ONGOING', 'media.play'));
  const out = runAlerts(events, { policies, releases: [start, end] });
  assert.deepEqual(out.map((a) => [a.state, a.suppressed, (a.eventTimeMs - T0) / MIN]), [['PENDING', true, 1], ['FIRING', true, 2], ['FIRING', false, 4], ['RESOLVED', false, 8]]);
  assert.equal(out[0]!.suppression!.policy, 'gray-release-low-traffic-noncore-errors');
  assert.equal(out[0]!.suppression!.untilMs, null, 'until the release ends');
  assert.equal(out[0]!.suppression!.trafficPercent, 3);
});

test('release end is noticed by the re-check timer even when no further drift arrives', () => {
  const start = release({ releaseId: 'r1', service: 'infotainment', phase: 'RAMP', trafficPercent: 3, timestampMs: T0 - MIN });
  const end = release({ releaseId: 'r1', service: 'infotainment', phase: 'END', trafficPercent: 3, timestampMs: T0 + 2.5 * MIN });
  // The alert fires at T0+2min; drift continues only through heartbeats of another series advancing time.
  const events = [0, 1].map((w) => drift(ERR, 'infotainment', w, w === 0 ? 'ONSET' : 'ONGOING', 'media.play'));
  const clock = [2].map((w) => drift('can_bus_load.mean', 'x', w));
  const out = runAlerts([...events, ...clock], { policies, releases: [start, end], flush: T0 + 3 * MIN + 30_000 });
  const last = out[out.length - 1]!;
  assert.equal(last.state, 'FIRING');
  assert.equal(last.suppressed, false);
  assert.equal(last.eventTimeMs, T0 + 3 * MIN, 're-checked 1 min after the last evaluation');
});

test('suppression matrix: traffic share, core chains, unsuppressible alerts', () => {
  const subj = (service: string, operation: string, name = ERR) => ({ labels: { service, operation, __name__: name }, source: 'DRIFT' as const, unsuppressible: false, activeSinceMs: T0 });
  const low = [release({ releaseId: 'r', service: 'powertrain-control', phase: 'RAMP', trafficPercent: 4.9, timestampMs: T0 })];
  const high = [release({ releaseId: 'r', service: 'powertrain-control', phase: 'RAMP', trafficPercent: 5, timestampMs: T0 })];
  assert.equal(evaluateSuppression(subj('powertrain-control', 'diag.read'), low, policies, T0)?.policy, 'gray-release-low-traffic-noncore-errors');
  assert.equal(evaluateSuppression(subj('powertrain-control', 'diag.read'), high, policies, T0), null, '5 % is not below 5 %');
  assert.equal(evaluateSuppression(subj('powertrain-control', 'torque.request'), low, policies, T0), null, 'core chain powertrain-torque');
  const brake = [release({ releaseId: 'b', service: 'brake-controller', phase: 'START', trafficPercent: 1, timestampMs: T0 })];
  assert.equal(evaluateSuppression(subj('brake-controller', 'abs.tick'), brake, policies, T0), null, 'core chain braking');
  assert.equal(evaluateSuppression({ ...subj('powertrain-control', 'diag.read'), unsuppressible: true }, low, policies, T0), null);
  assert.equal(evaluateSuppression({ ...subj('powertrain-control', 'diag.read'), source: 'CANARY' }, low, policies, T0), null, 'policies are drift-only');
});

test('release events: the DLQ names the cause, RELEASE_UNKNOWN_SERVICE for a service outside the catalog and INVALID_RECORD for a malformed event, and neither suppresses', () => {
  const unknown = release({ releaseId: 'u', service: 'ghost', phase: 'START', timestampMs: T0 });
  const malformed = release({ releaseId: 'n', service: 'svc', phase: 'RAMP', trafficPercent: Number.NaN, timestampMs: T0 });
  const ok = release({ releaseId: 'ok', service: 'svc', phase: 'START', timestampMs: T0 });
  const known = new Set(['svc']);
  const checked = replay([createReleaseCheckProcessor({ knownServices: known })], [unknown, malformed, ok].map((x) => ({ topic: Topics.releases, key: x.releaseId, value: x })));
  const letters = checked.dlq.map((o) => o.value as { sourceTopic: string; errorCode: string; errorMessage: string });
  assert.deepEqual(letters.map((d) => [d.sourceTopic, d.errorCode]), [[Topics.releases, 'RELEASE_UNKNOWN_SERVICE'], [Topics.releases, 'INVALID_RECORD']]);
  assert.match(letters[0]!.errorMessage, /unknown service "ghost"/);
  assert.match(letters[1]!.errorMessage, /traffic share/);
  // The same cause has the same code wherever the event is checked: the suppression's own reading of the table too.
  assert.throws(() => validateReleaseEvent(unknown, known), (e: unknown) => e instanceof FmeaflowError && e.code === ErrorCodes.RELEASE_UNKNOWN_SERVICE);
  const r = readReleases(new Map([['u', unknown], ['n', malformed], ['ok', ok]]), known);
  assert.deepEqual(r.valid.map((x) => x.releaseId), ['ok']);
  assert.deepEqual(r.rejected.map((x) => [x.releaseId, x.error.code]), [['u', 'RELEASE_UNKNOWN_SERVICE'], ['n', 'INVALID_RECORD']]);
  const ghostDrift = [0, 1].map((w) => drift(P95, 'ghost', w));
  assert.ok(runAlerts(ghostDrift, { policies, releases: [unknown], knownServices: known }).every((a) => !a.suppressed));
});

test('a release as it stood at a given time: not yet started, each step of its history, then its latest event', () => {
  const steps = [
    { phase: 'START' as const, trafficPercent: 2, cohortVehicleIds: ['V1'], timestampMs: T0 },
    { phase: 'RAMP' as const, trafficPercent: 20, cohortVehicleIds: ['V1', 'V2'], timestampMs: T0 + 10 * MIN },
  ];
  const ended = release({ releaseId: 'r', service: 'svc', phase: 'END', trafficPercent: 20, cohortVehicleIds: ['V1', 'V2'], timestampMs: T0 + 30 * MIN, history: steps });
  assert.equal(releaseAsOf(ended, T0 - 1), null, 'before START the release does not exist');
  assert.deepEqual(pick(releaseAsOf(ended, T0 + 5 * MIN)), ['START', 2, ['V1']]);
  assert.deepEqual(pick(releaseAsOf(ended, T0 + 10 * MIN)), ['RAMP', 20, ['V1', 'V2']], 'a step applies from its own timestamp on');
  assert.deepEqual(pick(releaseAsOf(ended, T0 + 30 * MIN)), ['END', 20, ['V1', 'V2']]);
  // Without history (events from older producers) only the latest event is known.
  assert.equal(releaseAsOf({ ...ended, history: [] }, T0 + 5 * MIN), null);

  // The low-traffic policy reads the traffic share at the alert's time: 2% at +5 min suppresses, 20% at +15 min does not.
  const table = new Map([['r', ended]]);
  const subject = { labels: { __name__: 'span.error_rate', alertname: 'span-error-rate-drift', service: 'svc', operation: 'diag.read', scope: 'FLEET' }, source: 'DRIFT' as const, unsuppressible: false, activeSinceMs: T0 + 4 * MIN };
  assert.equal(evaluateSuppression(subject, readReleases(table, undefined, T0 + 5 * MIN).valid, policies, T0 + 5 * MIN)?.releaseId, 'r');
  assert.equal(evaluateSuppression(subject, readReleases(table, undefined, T0 + 15 * MIN).valid, policies, T0 + 15 * MIN), null);
  assert.equal(evaluateSuppression(subject, readReleases(table, undefined).valid, policies, T0 + 5 * MIN), null, 'judged by the latest event the release has ended');
});

test('release history out of time order is rejected with the field named', () => {
  const bad = release({ releaseId: 'r', service: 'svc', phase: 'END', timestampMs: T0, history: [{ phase: 'START', trafficPercent: 1, cohortVehicleIds: [], timestampMs: T0 + 1 }] });
  assert.throws(() => validateReleaseEvent(bad), (e: unknown) => e instanceof FmeaflowError && e.code === ErrorCodes.INVALID_RECORD && (e.details as { field: string }).field === 'history[0].timestampMs');
});

function pick(r: ReleaseEvent | null): unknown {
  return r && [r.phase, r.trafficPercent, r.cohortVehicleIds];
}
