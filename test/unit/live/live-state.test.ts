/**
 * LiveState folds the engine's output topics into what the live page draws. Inputs are written by
 * hand in the shape of the decoded Avro values (schemas/*.avsc); expectations follow from the
 * records fed in, not from a run of the code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveState } from '../../../streams/runtime/live/live-state.ts';
import { Topics } from '../../../streams/topic-catalog.ts';

interface SeriesSnap {
  id: string;
  name: string;
  labels: Record<string, string>;
  scope: string;
  band: { t: number; mean: number; std: number; value: number | null; drifting: boolean }[];
  drift: { t: number; value: number; z: number; detector: string }[];
  suppressed: { alertId: string; from: number; to: number | null; policy: string; reason: string }[];
}
interface Snap {
  version: number;
  actions: { key: string; entryId: string; rpn: number; actionPriority: string }[];
  clusters: { clusterId: string; keywords: string[]; templates: unknown[]; lastEvent: string; ratio: number | null; vehicles: number; trend: { t: number; count: number }[] }[];
  series: SeriesSnap[];
  releases: { releaseId: string; service: string; version: string; phase: string; trafficPercent: number; verdicts: Record<string, { verdict: string; pValue: number; effectSize: number; reason: string }> }[];
}
const snap = (s: LiveState): Snap => s.snapshot() as Snap;

const T0 = 1_736_150_400_000;
const MIN = 60_000;

/** fmea-action.avsc value. */
function action(entryId: string, scopeId: string, s: number, o: number, d: number, ap: 'H' | 'M' | 'L', status = 'NEW'): Record<string, unknown> {
  return {
    key: `${entryId}|vehicle:${scopeId}`, entryId, worksheet: 'can-network', scopeKind: 'vehicle', scopeId, item: 'ODS harness', function: 'carry frames',
    failureMode: 'Signal reflection on the harness', effect: 'corrupted frames', cause: 'bad termination', severity: s, occurrenceWorksheet: o, occurrenceObserved: o,
    occurrence: o, detection: d, rpn: s * o * d, actionPriority: ap, rank: 1, affectedVehicles: 1, fleetSize: 4, recommendedActions: [],
    evidence: { logClusterIds: [], keywords: [], driftEvents: [], alerts: [], canClusters: [], canaryVerdicts: [], canFeatureWindows: [`${scopeId}/main@${T0}`], dtcCodes: [], vehicles: [scopeId], traceIds: [] },
    firstSeenMs: T0, lastSeenMs: T0 + MIN, updateCount: 1, status,
  };
}

const LABELS = { bus: 'main' };
const seriesId = (vehicle: string): string => `can_bus_error_rate.last{bus="main"}@${vehicle}`;

/** baseline.avsc value. */
function baseline(vehicle: string, windowEndMs: number, mean: number, stdDev: number, value: number | null = null, status = 'NORMAL'): Record<string, unknown> {
  return { seriesId: seriesId(vehicle), name: 'can_bus_error_rate.last', labels: LABELS, scope: vehicle, mean, stdDev, referenceMean: mean, referenceStdDev: stdDev, windowsLearned: 10, warmingUp: false, status, driftSinceMs: null, alpha: 0.2, lastWindowEndMs: windowEndMs, value };
}

/** drift-event.avsc value. */
function drift(vehicle: string, windowEndMs: number, value: number, zScore: number, detector = 'Z_RULE'): Record<string, unknown> {
  return {
    eventId: `${seriesId(vehicle)}#${windowEndMs - MIN}#ONSET`, seriesId: seriesId(vehicle), name: 'can_bus_error_rate.last', labels: LABELS, scope: vehicle, detector, phase: 'ONSET',
    value, baselineMean: 0.5, baselineStdDev: 0.1, zScore, chartStatistic: null, chartLimit: null, windowStartMs: windowEndMs - MIN, windowEndMs, firstWindowStartMs: windowEndMs - MIN,
    evidenceWindows: 1, driftWindows: 1, windowMs: MIN,
  };
}

/** alert.avsc value (suppressed when `suppression` is given). */
function alert(vehicle: string, eventTimeMs: number, suppression: { startedAtMs: number; untilMs: number | null } | null): Record<string, unknown> {
  return {
    alertId: `a-${vehicle}-${eventTimeMs}`, rule: 'can-bus-error-drift', source: 'DRIFT', state: 'FIRING', severity: 'warning', subject: seriesId(vehicle), name: 'can_bus_error_rate.last', labels: LABELS,
    scope: vehicle, detector: 'Z_RULE', value: 3, baselineValue: 0.5, zScore: 25, activeSinceMs: eventTimeMs, firingSinceMs: eventTimeMs, resolvedAtMs: null, eventTimeMs,
    suppressed: suppression !== null,
    suppression: suppression && { policy: 'gray-release-latency-drift', releaseId: 'gw-1.8.1', service: 'gateway', trafficPercent: 10, reason: 'gateway is in gray release gw-1.8.1', ...suppression },
    unsuppressible: false, releaseId: suppression ? 'gw-1.8.1' : null, summary: 'drift',
  };
}

/** log-cluster-event.avsc value. */
function clusterEvent(clusterId: string, windowEndMs: number, eventType: string, count: number, ratio: number | null): Record<string, unknown> {
  return {
    eventId: `${clusterId}:${eventType}:${windowEndMs}`, clusterId, mergedClusterIds: [], eventType, partition: 1, windowStartMs: windowEndMs - MIN, windowEndMs,
    templates: [1, 2, 3, 4].map((i) => ({ templateId: `${clusterId}-t${i}`, template: `bcm: request timeout <NUM> #${i}`, count: 10 - i, mergedTemplateIds: [] })),
    keywords: ['timeout', 'bcm', 'request'], count, baselineCount: ratio === null ? null : count / ratio, ratio, vehicleCount: 2,
    vehicleCounts: [{ vehicleId: 'V1', count: count - 1 }, { vehicleId: 'V2', count: 1 }], examples: [], correlatedDrift: [], embeddingVersion: 'tfidf', clusteringMethod: 'drain',
  };
}

/** release-event.avsc value. */
function release(releaseId: string, phase: string, trafficPercent: number, timestampMs: number): Record<string, unknown> {
  return { releaseId, service: 'gateway', version: '1.8.1', baselineVersion: '1.8.0', phase, trafficPercent, cohort: 'c1', cohortVehicleIds: [], timestampMs };
}

/** canary-verdict.avsc value. */
function verdict(releaseId: string, metric: string, v: string, pValue: number, effectSize: number): Record<string, unknown> {
  return {
    releaseId, service: 'gateway', canaryVersion: '1.8.1', baselineVersion: '1.8.0', metric, verdict: v, test: 'MANN_WHITNEY_U', canarySamples: 100, baselineSamples: 400,
    canaryValue: 52, baselineValue: 38, effectSize, uStatistic: 1000, pValue, confidence: 0.95, reason: `p=${pValue}`, final: false, evaluatedAtMs: T0 + 5 * MIN,
  };
}

test('actions: a newer record supersedes its key, a tombstone removes it, resolved actions leave the page', () => {
  const s = new LiveState();
  const a = action('S-ODS-08', 'V1', 8, 4, 5, 'M');
  s.apply(Topics.actions, a.key as string, a);
  s.apply(Topics.actions, 'S-CAN-03|vehicle:V2', action('S-CAN-03', 'V2', 7, 10, 4, 'H'));
  // Same key again with a higher occurrence: one row, the new figures (8·6·5 = 240).
  s.apply(Topics.actions, a.key as string, action('S-ODS-08', 'V1', 8, 6, 5, 'H'));
  let rows = snap(s).actions;
  assert.deepEqual(rows.map((r) => [r.entryId, r.actionPriority, r.rpn]), [['S-CAN-03', 'H', 280], ['S-ODS-08', 'H', 240]]);

  s.apply(Topics.actions, 'S-CAN-03|vehicle:V2', null);
  rows = snap(s).actions;
  assert.deepEqual(rows.map((r) => r.key), [a.key]);
  s.apply(Topics.actions, a.key as string, action('S-ODS-08', 'V1', 8, 6, 5, 'H', 'RESOLVED'));
  assert.deepEqual(snap(s).actions, []);
  assert.equal(snap(s).version, 5, 'one version step per applied record');
});

test('records of topics the view does not follow change nothing', () => {
  const s = new LiveState();
  s.apply('fleet.can-frames.v1', 'k', { anything: 1 });
  assert.deepEqual(snap(s), { version: 0, actions: [], clusters: [], series: [], releases: [] });
});

test('drift: baselines form a band and drift events points, each on its own series', () => {
  const s = new LiveState();
  for (let i = 1; i <= 3; i++) s.apply(Topics.baselines, seriesId('V1'), baseline('V1', T0 + i * MIN, 0.5 + i / 10, 0.1));
  s.apply(Topics.baselines, seriesId('V2'), baseline('V2', T0 + MIN, 2, 0.5));
  s.apply(Topics.drift, seriesId('V1'), drift('V1', T0 + 4 * MIN, 3.1, 26));
  s.apply(Topics.drift, seriesId('V2'), drift('V2', T0 + 2 * MIN, 9, 14, 'CUSUM'));
  s.apply(Topics.baselines, seriesId('V3'), baseline('V3', T0 + MIN, 1, 0.1));

  const series = snap(s).series;
  // V3 never drifted: a quiet series is not charted.
  assert.deepEqual(series.map((x) => x.id).sort(), [seriesId('V1'), seriesId('V2')]);
  const v1 = series.find((x) => x.id === seriesId('V1'))!;
  assert.equal(v1.name, 'can_bus_error_rate.last');
  assert.deepEqual(v1.labels, LABELS);
  assert.equal(v1.scope, 'V1');
  assert.deepEqual(v1.band.map((b) => [b.t, Number(b.mean.toFixed(6)), b.std]), [[T0 + MIN, 0.6, 0.1], [T0 + 2 * MIN, 0.7, 0.1], [T0 + 3 * MIN, 0.8, 0.1]]);
  assert.deepEqual(v1.drift, [{ t: T0 + 4 * MIN, value: 3.1, z: 26, detector: 'Z_RULE', phase: 'ONSET' }]);
  const v2 = series.find((x) => x.id === seriesId('V2'))!;
  assert.deepEqual(v2.band, [{ t: T0 + MIN, mean: 2, std: 0.5, value: null, drifting: false }]);
  assert.deepEqual(v2.drift, [{ t: T0 + 2 * MIN, value: 9, z: 14, detector: 'CUSUM', phase: 'ONSET' }]);
});

test('drift: each baseline record adds the judged value and the decision; a warming-up baseline has no band yet; drifting series come first', () => {
  const s = new LiveState();
  s.apply(Topics.baselines, seriesId('V1'), { ...baseline('V1', T0 + MIN, 0.4, 0.2, 0.45), warmingUp: true });
  s.apply(Topics.baselines, seriesId('V1'), baseline('V1', T0 + 2 * MIN, 0.5, 0.1, 0.52));
  s.apply(Topics.baselines, seriesId('V1'), baseline('V1', T0 + 3 * MIN, 0.5, 0.1, 3.1, 'DRIFTING'));
  s.apply(Topics.drift, seriesId('V1'), drift('V1', T0 + 3 * MIN, 3.1, 26, 'SPIKE'));
  s.apply(Topics.baselines, seriesId('V2'), baseline('V2', T0 + 4 * MIN, 1, 0.1, 1.05));
  s.apply(Topics.drift, seriesId('V2'), drift('V2', T0 + 2 * MIN, 9, 14));
  const series = snap(s).series;
  // V2 is newer but no longer drifting: the drifting V1 is shown first.
  assert.deepEqual(series.map((x) => x.id), [seriesId('V1'), seriesId('V2')]);
  assert.deepEqual(series[0]!.band, [
    { t: T0 + MIN, mean: null, std: null, value: 0.45, drifting: false },
    { t: T0 + 2 * MIN, mean: 0.5, std: 0.1, value: 0.52, drifting: false },
    { t: T0 + 3 * MIN, mean: 0.5, std: 0.1, value: 3.1, drifting: true },
  ]);
});

test('suppressed alerts become shaded periods on their series; unsuppressed alerts do not', () => {
  const s = new LiveState();
  s.apply(Topics.baselines, seriesId('V1'), baseline('V1', T0 + MIN, 0.5, 0.1));
  s.apply(Topics.alerts, 'a1', alert('V1', T0 + 2 * MIN, { startedAtMs: T0 + MIN, untilMs: T0 + 6 * MIN }));
  s.apply(Topics.alerts, 'a2', alert('V2', T0 + 2 * MIN, null));
  const series = snap(s).series;
  // V2's alert fired normally: nothing to shade, no drift, so no chart for V2.
  assert.deepEqual(series.map((x) => x.id), [seriesId('V1')]);
  assert.deepEqual(series[0]!.suppressed, [{ alertId: `a-V1-${T0 + 2 * MIN}`, from: T0 + MIN, to: T0 + 6 * MIN, policy: 'gray-release-latency-drift', reason: 'gateway is in gray release gw-1.8.1' }]);
  // The alert's subject is the series id, so the period lands on the series that has the band.
  assert.deepEqual(series[0]!.band, [{ t: T0 + MIN, mean: 0.5, std: 0.1, value: null, drifting: false }]);
});

test('releases: lifecycle events update the release, canary verdicts attach per metric, whichever arrives first', () => {
  const s = new LiveState();
  // A verdict can overtake its release event (different topics): it must not be lost.
  s.apply(Topics.canaryVerdicts, 'gw-1.8.1|latency', verdict('gw-1.8.1', 'latency', 'INCONCLUSIVE', 0.2, 1.05));
  s.apply(Topics.releases, 'gw-1.8.1', release('gw-1.8.1', 'START', 5, T0));
  s.apply(Topics.releases, 'gw-1.8.1', release('gw-1.8.1', 'RAMP', 25, T0 + MIN));
  s.apply(Topics.canaryVerdicts, 'gw-1.8.1|latency', verdict('gw-1.8.1', 'latency', 'FAIL', 1e-9, 1.37));
  s.apply(Topics.canaryVerdicts, 'gw-1.8.1|error_rate', verdict('gw-1.8.1', 'error_rate', 'PASS', 0.8, 1.0));
  s.apply(Topics.releases, 'other-2.0', { ...release('other-2.0', 'START', 10, T0), service: 'planner', version: '2.0' });

  const rels = snap(s).releases;
  assert.equal(rels.length, 2);
  const gw = rels.find((r) => r.releaseId === 'gw-1.8.1')!;
  assert.deepEqual([gw.service, gw.version, gw.phase, gw.trafficPercent], ['gateway', '1.8.1', 'RAMP', 25]);
  assert.deepEqual(Object.keys(gw.verdicts).sort(), ['error_rate', 'latency']);
  assert.deepEqual(gw.verdicts.latency, { verdict: 'FAIL', pValue: 1e-9, effectSize: 1.37, reason: 'p=1e-9' });
  assert.equal(gw.verdicts.error_rate!.verdict, 'PASS');
  const other = rels.find((r) => r.releaseId === 'other-2.0')!;
  assert.deepEqual([other.service, other.version, other.phase, other.verdicts], ['planner', '2.0', 'START', {}]);
});

test('log clusters: the latest event wins, counts build a trend, at most three templates are kept', () => {
  const s = new LiveState();
  s.apply(Topics.logClusters, 'p1-c4', clusterEvent('p1-c4', T0 + MIN, 'NEW', 12, null));
  s.apply(Topics.logClusters, 'p1-c4', clusterEvent('p1-c4', T0 + 2 * MIN, 'RATE_UP', 60, 5));
  s.apply(Topics.logClusters, 'p2-c1', clusterEvent('p2-c1', T0 + 3 * MIN, 'NEW', 3, null));
  const clusters = snap(s).clusters;
  assert.deepEqual(clusters.map((c) => c.clusterId), ['p2-c1', 'p1-c4'], 'most recently active first');
  const c = clusters[1]!;
  assert.equal(c.lastEvent, 'RATE_UP');
  assert.equal(c.ratio, 5);
  assert.equal(c.vehicles, 2);
  assert.deepEqual(c.trend, [{ t: T0 + MIN, count: 12 }, { t: T0 + 2 * MIN, count: 60 }]);
  assert.equal(c.templates.length, 3);
  assert.equal(clusters[0]!.ratio, null);
});

test('bounded memory: points per series, series and clusters are capped and the newest points kept', () => {
  const s = new LiveState();
  const n = 1000;
  for (let i = 0; i < n; i++) {
    s.apply(Topics.baselines, seriesId('V1'), baseline('V1', T0 + i * MIN, i, 1));
    s.apply(Topics.drift, seriesId('V1'), drift('V1', T0 + i * MIN, i, 5));
    s.apply(Topics.alerts, `a${i}`, alert('V1', T0 + i * MIN, { startedAtMs: T0 + i * MIN, untilMs: T0 + (i + 1) * MIN }));
    s.apply(Topics.logClusters, 'p0-c0', clusterEvent('p0-c0', T0 + i * MIN, 'RATE_UP', i, 2));
  }
  const v1 = snap(s).series[0]!;
  for (const list of [v1.band, v1.drift, v1.suppressed.map((p) => ({ t: p.from }))]) {
    // 240 points per list (MAX_POINTS), the latest ones: from window n-240 to n-1.
    assert.equal(list.length, 240);
    assert.equal(list[0]!.t, T0 + (n - 240) * MIN);
    assert.equal(list.at(-1)!.t, T0 + (n - 1) * MIN);
  }
  assert.equal(snap(s).clusters[0]!.trend.length, 240);

  for (let i = 0; i < 500; i++) {
    s.apply(Topics.drift, seriesId(`W${i}`), drift(`W${i}`, T0 + (n + i) * MIN, 1, 5));
    s.apply(Topics.logClusters, `c${i}`, clusterEvent(`c${i}`, T0 + (n + i) * MIN, 'NEW', 1, null));
  }
  // The maps behind the page are private; their size is what bounds memory.
  const internals = s as unknown as { series: Map<string, unknown>; clusters: Map<string, unknown> };
  assert.ok(internals.series.size <= 200, `series kept: ${internals.series.size}`);
  assert.ok(internals.clusters.size <= 200, `clusters kept: ${internals.clusters.size}`);
  // Clusters evict the least recently active: the newest one is kept, the first ones are gone.
  assert.ok(internals.clusters.has('c499'));
  assert.ok(!internals.clusters.has('p0-c0') && !internals.clusters.has('c0'));
  // The page gets a bounded snapshot too.
  assert.ok(snap(s).series.length <= 24 && snap(s).clusters.length <= 50);
});

test('a suppressed alert updated again keeps one period; "until the release ends" stays open', () => {
  const s = new LiveState();
  const a = alert('V1', T0 + 2 * MIN, { startedAtMs: T0 + MIN, untilMs: null });
  s.apply(Topics.alerts, 'a1', a);
  s.apply(Topics.alerts, 'a1', { ...a, state: 'FIRING', eventTimeMs: T0 + 3 * MIN });
  const [series] = snap(s).series;
  assert.equal(series!.suppressed.length, 1);
  assert.equal(series!.suppressed[0]!.to, null);
});

test('once 200 series exist, a new series still appears and the stalest one goes', () => {
  const s = new LiveState();
  for (let i = 0; i < 250; i++) s.apply(Topics.drift, `x${i}`, { ...drift(`V${i}`, T0 + i * MIN, 3, 25) });
  const ids = snap(s).series.map((x) => x.id);
  assert.ok(s.snapshot() && ids.length > 0);
  const all = (s as unknown as { series: Map<string, unknown> }).series;
  assert.equal(all.size, 200);
  assert.ok(all.has(seriesId('V249')), 'newest series kept');
  assert.ok(!all.has(seriesId('V0')), 'oldest series evicted');
});

test('fleet-wide log clusters are shown with their scope, ahead of the per-partition clusters they merge', () => {
  const s = new LiveState();
  s.apply(Topics.logClusters, 'p1-c4', clusterEvent('p1-c4', T0 + 2 * MIN, 'NEW', 12, null));
  s.apply(Topics.logClustersFleet, 'fleet-ab12', { ...clusterEvent('fleet-ab12', T0 + MIN, 'NEW', 30, null), partition: -1, vehicleCount: 5 });
  const clusters = snap(s).clusters as unknown as { clusterId: string; scope: string; vehicles: number }[];
  assert.deepEqual(clusters.map((c) => [c.clusterId, c.scope]), [['fleet-ab12', 'fleet'], ['p1-c4', 'partition 1']], 'fleet first even though older');
  assert.equal(clusters[0]!.vehicles, 5);
});
