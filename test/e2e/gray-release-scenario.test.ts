/**
 * Gray-release suppression end to end on a constructed fleet, for what the recorded drive cannot
 * show (it is two minutes long, its canary share never drops below 5 % and no error rate regresses):
 * the 5-minute expiry of the P95-latency suppression at its real default, the low-traffic error-rate
 * suppression of a non-core chain next to an unsuppressed core chain of the same service, the
 * traffic threshold, and that nothing stays suppressed once a release ends or is rolled back.
 *
 * Runtime: the replay runtime (streams/runtime/replay) over the full topology of `buildTopology`
 * with FLEET_TIMING and the bundled config/suppression-policies.yaml: spans in, alerts out, the
 * same PartitionTask, watermarks and timers as on the broker. The expectations come from the
 * scenario below and the policy file's values, never from the engine's output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import seedrandom from 'seedrandom';
import YAML from 'yaml';
import type { AlertRecord } from '../../streams/processors/alerts/alert-types.ts';
import type { SpanRecord } from '../../streams/processors/series/input-records.ts';
import type { ReleaseEvent } from '../../streams/processors/suppression/release-table.ts';
import { replay, type ReplayRecord } from '../../streams/runtime/replay/replay.ts';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';
import { DEFAULT_PARTITIONS, TOPIC_SPECS, Topics } from '../../streams/topic-catalog.ts';
import { buildTopology, FLEET_TIMING, repartitionTopicOf } from '../../streams/topology.ts';
import { bundledRuleRecords } from './drive-pipeline.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 1, 6);
const at = (min: number): number => T0 + min * MIN;
const VEHICLES = ['VIN-A', 'VIN-B', 'VIN-C', 'VIN-D'];

/** The scenario's manifest: which chain regresses, whether the policy file calls it core, whose release it is in. */
const CHAINS = [
  // powertrain-control's torque chain is core (coreChains.powertrain-torque); its diagnostics chain is not.
  { service: 'powertrain-control', operation: 'torque.request', core: true, errorRegression: true, latencyRegression: false },
  { service: 'powertrain-control', operation: 'diag.report', core: false, errorRegression: true, latencyRegression: false },
  // bms is released at 25-50 % share: at or above the 5 % threshold, so its errors are never suppressed.
  { service: 'bms', operation: 'bms.readStatus', core: false, errorRegression: true, latencyRegression: true },
  // gateway has no release: nothing of it is suppressed.
  { service: 'gateway', operation: 'gateway.route', core: false, errorRegression: true, latencyRegression: false },
] as const;
const REGRESSION = { fromMin: 40, toMin: 62 };
const END_MIN = 66;

function rel(releaseId: string, service: string, steps: { phase: ReleaseEvent['phase']; min: number; traffic: number; cohort: string[] }[]): ReleaseEvent[] {
  return steps.map((s, i) => ({
    releaseId, service, version: '2.0.0', baselineVersion: '1.0.0', phase: s.phase, trafficPercent: s.traffic, cohort: 'canary', cohortVehicleIds: s.cohort, timestampMs: at(s.min),
    history: steps.slice(0, i).map((h) => ({ phase: h.phase, trafficPercent: h.traffic, cohortVehicleIds: h.cohort, timestampMs: at(h.min) })),
  }));
}

/** The releases as published, in time order (latest value per release id = the table). */
const RELEASES: ReleaseEvent[] = [
  // 3 % share: below the low-traffic threshold; ends while the errors still go on.
  ...rel('pt-2.0.0', 'powertrain-control', [{ phase: 'START', min: 38, traffic: 3, cohort: [] }, { phase: 'END', min: 52, traffic: 3, cohort: [] }]),
  // Ramps 25 % → 50 % and is rolled back at 56 min, 16 min after the latency drift began (> 5 min hold).
  ...rel('bms-2.0.0', 'bms', [{ phase: 'START', min: 38, traffic: 25, cohort: ['VIN-A'] }, { phase: 'RAMP', min: 44, traffic: 50, cohort: ['VIN-A', 'VIN-B'] }, { phase: 'ROLLBACK', min: 56, traffic: 0, cohort: ['VIN-A', 'VIN-B'] }]),
].sort((a, b) => a.timestampMs - b.timestampMs);

function spans(): SpanRecord[] {
  const rng = seedrandom('gray-release-scenario');
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const out: SpanRecord[] = [];
  let seq = 0;
  for (let m = 0; m < END_MIN; m++) {
    const regressing = m >= REGRESSION.fromMin && m < REGRESSION.toMin;
    for (let i = 0; i < 60; i++) {
      for (const c of CHAINS) {
        const vehicleId = VEHICLES[i % VEHICLES.length]!;
        const canary = c.latencyRegression && m >= 38 && vehicleId === 'VIN-A';
        const median = 40 * (regressing && c.latencyRegression && canary ? 4 : 1);
        const errorP = regressing && c.errorRegression ? 0.4 : 0.02;
        const endMs = at(m) + i * 1000 + 17;
        const durMs = median * Math.exp(0.25 * normal());
        seq++;
        out.push({
          vehicleId, traceId: seq.toString(16).padStart(32, '0'), spanId: seq.toString(16).padStart(16, '0'), parentSpanId: null,
          service: c.service, serviceVersion: canary ? '2.0.0' : '1.0.0', name: c.operation, kind: 'SERVER',
          startTimeUs: Math.round((endMs - durMs) * 1000), endTimeUs: endMs * 1000, status: rng() < errorP ? 'ERROR' : 'OK', statusMessage: null, attributes: {},
        });
      }
    }
  }
  return out;
}

/** The release of `service` as it stood at `tMs` according to the scenario (latest step at or before tMs). */
function releaseAt(service: string, tMs: number): ReleaseEvent | null {
  let last: ReleaseEvent | null = null;
  for (const r of RELEASES) if (r.service === service && r.timestampMs <= tMs) last = r;
  return last;
}

const parseDuration = (s: string): number => Number(s.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000 }[s.slice(-1) as 's' | 'm' | 'h']!;

test('constructed fleet: P95 hold expires after 5 min, low-traffic non-core errors suppressed until release end, core chain and high-traffic release never', () => {
  const policyFile = YAML.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'config', 'suppression-policies.yaml'), 'utf8')) as {
    coreChains: { name: string; matchers: string[] }[];
    policies: { name: string; match: string[]; whileRelease: { maxTrafficPercent?: number }; nonCoreOnly?: boolean; suppressFor?: string; suppressUntil?: string }[];
  };
  const latency = policyFile.policies.find((p) => p.match.includes('__name__="span.latency.p95"') && p.suppressFor)!;
  const lowTraffic = policyFile.policies.find((p) => p.match.includes('__name__="span.error_rate"') && p.nonCoreOnly && p.suppressUntil === 'release-end')!;
  assert.ok(latency && lowTraffic, 'the bundled file has both default policies');
  // The scenario's notion of "core" is the bundled file's powertrain-torque chain.
  assert.deepEqual(policyFile.coreChains.find((c) => c.name === 'powertrain-torque')?.matchers, ['service="powertrain-control"', 'operation=~"torque.*"']);
  const holdMs = parseDuration(latency.suppressFor!);
  const maxShare = lowTraffic.whileRelease.maxTrafficPercent!;
  assert.equal(holdMs, 5 * MIN);
  assert.equal(maxShare, 5);

  const app = 'gray-scenario';
  const partitions: Record<string, number> = Object.fromEntries(TOPIC_SPECS.map((t) => [t.name, t.partitions]));
  for (const name of ['spans-by-service', 'can-features-fleet', 'fmea-evidence', 'log-clusters-fleet', 'metrics-by-series']) partitions[repartitionTopicOf(app, name)] = DEFAULT_PARTITIONS;
  const input: ReplayRecord[] = [...bundledRuleRecords()];
  const pending = [...RELEASES];
  for (const s of spans()) {
    // Each release event is published when it happens, between the spans around it.
    while (pending.length && pending[0]!.timestampMs <= s.endTimeUs / 1000) { const r = pending.shift()!; input.push({ topic: Topics.releases, key: r.releaseId, value: r }); }
    input.push({ topic: Topics.spans, key: s.vehicleId, value: s });
  }
  const out = replay(buildTopology({ app, timing: FLEET_TIMING }), input, { partitions });
  assert.deepEqual(out.dlq.map((d) => (d.value as { errorCode: string }).errorCode), [], 'no record is dead-lettered');
  const alerts = (out.outputs[Topics.alerts] ?? []).map((o) => o.value as AlertRecord);

  for (const a of alerts.filter((x) => x.source === 'CANARY')) assert.ok(!a.suppressed && a.unsuppressible, 'a canary alert is never suppressed');
  const drift = alerts.filter((a) => a.source === 'DRIFT');
  const chainOf = (a: AlertRecord) => CHAINS.find((c) => c.service === a.labels['service'] && c.operation === a.labels['operation']);
  const describe = (a: AlertRecord): string => `${a.name} ${a.labels['service']}/${a.labels['operation']} ${a.state} at ${(a.eventTimeMs - T0) / MIN} min (active since ${(a.activeSinceMs - T0) / MIN})`;
  for (const a of drift) {
    const chain = chainOf(a);
    assert.ok(chain, `alert on a chain of the scenario: ${describe(a)}`);
    const r = releaseAt(chain.service, a.eventTimeMs);
    const inRelease = r !== null && (r.phase === 'START' || r.phase === 'RAMP');
    let expected: { policy: string; untilMs: number | null } | null = null;
    if (a.state !== 'RESOLVED' && inRelease) {
      if (a.name === 'span.latency.p95' && a.eventTimeMs < a.activeSinceMs + holdMs) expected = { policy: latency.name, untilMs: a.activeSinceMs + holdMs };
      if (a.name === 'span.error_rate' && r.trafficPercent < maxShare && !chain.core) expected = { policy: lowTraffic.name, untilMs: null };
    }
    assert.equal(a.suppressed, expected !== null, describe(a));
    if (expected) {
      assert.equal(a.suppression?.policy, expected.policy, describe(a));
      assert.equal(a.suppression?.releaseId, r!.releaseId, describe(a));
      assert.equal(a.suppression?.untilMs, expected.untilMs, `${describe(a)}: the audit record says when suppression ends`);
      assert.equal(a.releaseId, r!.releaseId);
    } else {
      assert.equal(a.suppression, null, describe(a));
    }
  }

  // The scenario must actually reach every case the policies distinguish.
  const of = (service: string, operation: string, name: string) => drift.filter((a) => a.labels['service'] === service && a.labels['operation'] === operation && a.name === name);
  const active = (a: AlertRecord): boolean => a.state !== 'RESOLVED';
  const ptEnd = RELEASES.find((r) => r.releaseId === 'pt-2.0.0' && r.phase === 'END')!.timestampMs;
  const bmsEnd = RELEASES.find((r) => r.releaseId === 'bms-2.0.0' && r.phase === 'ROLLBACK')!.timestampMs;
  const bmsP95 = of('bms', 'bms.readStatus', 'span.latency.p95');
  assert.ok(bmsP95.some((a) => a.suppressed), 'the P95 drift of the released service is suppressed at first');
  assert.ok(bmsP95.some((a) => active(a) && !a.suppressed && a.eventTimeMs >= a.activeSinceMs + holdMs && a.eventTimeMs < bmsEnd),
    `still active ${latency.suppressFor} after onset and the release still ramping: published unsuppressed (${bmsP95.map(describe).join('; ')})`);
  const diag = of('powertrain-control', 'diag.report', 'span.error_rate');
  assert.ok(diag.some((a) => a.suppressed), 'non-core errors at 3 % share are suppressed');
  assert.ok(diag.some((a) => active(a) && !a.suppressed && a.eventTimeMs >= ptEnd), `once the release ended the still-active alert is published unsuppressed (${diag.map(describe).join('; ')})`);
  const torque = of('powertrain-control', 'torque.request', 'span.error_rate');
  assert.ok(torque.some((a) => active(a) && a.eventTimeMs < ptEnd), 'the core chain alerts during the low-traffic release');
  assert.ok(of('bms', 'bms.readStatus', 'span.error_rate').some((a) => active(a) && a.eventTimeMs < bmsEnd), 'bms errors alert during its 25-50 % release');
  assert.ok(of('gateway', 'gateway.route', 'span.error_rate').some(active), 'the service without a release alerts');
  for (const a of drift) if (a.eventTimeMs >= Math.max(ptEnd, bmsEnd)) assert.equal(a.suppressed, false, `after every release ended nothing is suppressed: ${describe(a)}`);
});
