import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topics } from '../../../streams/topic-catalog.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { createSeriesWindowProcessor, SERIES_POINTS_TOPIC } from '../../../streams/processors/series/series-window-processor.ts';
import { runStages } from '../../helpers/run-stages.ts';
import type { SeriesPoint } from '../../../streams/processors/series/series-types.ts';
import type { MetricRecord } from '../../../streams/processors/series/input-records.ts';
import { bucketQuantile, cumulativeIncrease, MAX_POINTS_PER_WINDOW } from '../../../streams/processors/series/window-accumulator.ts';
import { runDriftPipeline } from '../../helpers/drift-pipeline.ts';
import { gauge, span, T0 } from './fixtures.ts';

const S10 = 10_000;

function runWindows(records: { topic: string; value: unknown }[], opts: Parameters<typeof createSeriesWindowProcessor>[0] = {}) {
  const p = createSeriesWindowProcessor({ windowMs: S10, allowedLatenessMs: S10, ...opts });
  const r = runStages([p], records.map((x) => ({ ...x, key: 'k' })), { flushUntilMs: T0 + 3_600_000 });
  return { points: r.outputs.filter((o) => o.topic === SERIES_POINTS_TOPIC).map((o) => o.value as SeriesPoint), r };
}

const find = (ps: SeriesPoint[], name: string, start = T0) => ps.filter((p) => p.name === name && p.windowStartMs === start);

test('gauges: last by event time and mean per window; windows close on the watermark', () => {
  const recs = [gauge('temp', T0 + 1000, 10), gauge('temp', T0 + 9000, 30), gauge('temp', T0 + 5000, 20), gauge('temp', T0 + 12_000, 99)];
  // Only the first window is closed by the watermark (12 s ≥ 10 s); flush just up to 12 s.
  const p = createSeriesWindowProcessor({ windowMs: S10, allowedLatenessMs: 0 });
  const r = runStages([p], recs.map((v) => ({ topic: Topics.metrics, key: 'k', value: v })), { flushUntilMs: T0 + 12_000 });
  const pts = r.outputs.map((o) => o.value as SeriesPoint);
  assert.deepEqual(pts.map((x) => [x.name, x.value, x.windowStartMs - T0]), [['temp.last', 30, 0], ['temp.mean', 20, 0]]);
  assert.equal(pts[0]!.seriesId, 'temp.last{}@fleet');
});

test('counters: reset-aware rate; histograms: merged increases, mean and p95', () => {
  const c = (t: number, v: number): MetricRecord => ({ vehicleId: 'V', name: 'frames_total', labels: { bus: 'can0' }, kind: 'COUNTER', timestampMs: T0 + t, value: v, histogram: null, unit: null });
  const h = (t: number, counts: number[], sum: number): MetricRecord => ({
    vehicleId: 'V', name: 'lat', labels: {}, kind: 'HISTOGRAM', timestampMs: T0 + t, value: null, histogram: { bounds: [10, 20, 50], counts, sum, count: counts.reduce((a, b) => a + b, 0) }, unit: 'ms',
  });
  const { points } = runWindows([
    // 100 → 150 (+50), reset to 20 (+20), → 60 (+40): 110 over 8 s.
    { topic: Topics.metrics, value: c(9000, 60) }, { topic: Topics.metrics, value: c(1000, 100) }, { topic: Topics.metrics, value: c(4000, 150) }, { topic: Topics.metrics, value: c(6000, 20) },
    // +0/+10/+80/+10 per bucket over the window = 100 observations, sum +2600.
    { topic: Topics.metrics, value: h(1000, [5, 5, 5, 0], 200) }, { topic: Topics.metrics, value: h(9000, [5, 15, 85, 10], 2800) },
  ]);
  assert.equal(find(points, 'frames_total.rate')[0]!.value, 110 / 8);
  assert.equal(find(points, 'lat.mean')[0]!.value, 26);
  // rank 95 of 100: buckets 0,10,80 → cumulative 90 after (20,50]; the +Inf bucket holds 91..100 → its lower bound 50.
  assert.equal(find(points, 'lat.p95')[0]!.value, 50);
  assert.equal(find(points, 'lat.count_rate')[0]!.value, 100 / 8);
});

const counter = (vehicle: string, t: number, v: number, labels: Record<string, string> = { bus: 'can0' }): MetricRecord => ({ vehicleId: vehicle, name: 'frames_total', labels, kind: 'COUNTER', timestampMs: T0 + t, value: v, histogram: null, unit: null });
const hist = (vehicle: string, t: number, counts: number[], sum: number, bounds = [10, 20, 50]): MetricRecord => ({
  vehicleId: vehicle, name: 'lat', labels: {}, kind: 'HISTOGRAM', timestampMs: T0 + t, value: null, histogram: { bounds, counts, sum, count: counts.reduce((a, b) => a + b, 0) }, unit: 'ms',
});
const metrics = (ms: MetricRecord[]) => ms.map((value) => ({ topic: Topics.metrics, value }));

test('fleet counter rate: two vehicles whose cumulative totals interleave are summed per vehicle, not read as resets', () => {
  // A counts 1000 → 1080 (+80 in 8 s = 10/s), B 50 → 66 (+16 in 8 s = 2/s); pooled in time order A, B, A, B, …
  const recs = metrics([1000, 1020, 1040, 1060, 1080].flatMap((a, i) => [counter('A', 1000 + 2000 * i, a), counter('B', 1500 + 2000 * i, 50 + 4 * i)]));
  const fleet = find(runWindows(recs, { grouping: 'fleet' }).points, 'frames_total.rate')[0]!;
  // Pooled as one sequence every A→B step reads as a reset (+B's whole total) and every B→A step as +~1000.
  assert.equal(fleet.value, 10 + 2, 'sum of the per-vehicle rates');
  assert.equal(fleet.sampleCount, 10);
  const perVehicle = runWindows(recs, { grouping: 'vehicle' }).points.filter((p) => p.name === 'frames_total.rate').map((p) => [p.scope, p.value]).sort();
  assert.deepEqual(perVehicle, [['A', 10], ['B', 2]]);
});

test('fleet histogram: cumulative buckets of two vehicles are increased per vehicle and merged', () => {
  const recs = metrics([
    hist('A', 1000, [100, 100, 100, 0], 5000), hist('B', 1500, [1, 0, 0, 0], 5),
    hist('A', 9000, [100, 110, 190, 0], 8000), hist('B', 9500, [11, 0, 0, 0], 55),
  ]);
  const { points } = runWindows(recs, { grouping: 'fleet' });
  // Increases: A +0/+10/+90/+0 (sum +3000), B +10/0/0/0 (sum +50): 110 observations, sum 3050.
  assert.equal(find(points, 'lat.mean')[0]!.value, 3050 / 110);
  assert.equal(find(points, 'lat.count_rate')[0]!.value, 100 / 8 + 10 / 8);
  // rank 104.5 of 110: 10 + 10 + 90 → inside (20,50]: 20 + 30·(104.5 − 20)/90.
  assert.equal(find(points, 'lat.p95')[0]!.value, 20 + (30 * (0.95 * 110 - 20)) / 90);
});

test('counter rate carries the last point across windows: the increase between windows is kept, once-per-window counters get a rate', () => {
  // One point per 10 s window, 5/s steady, and a burst of +500 between the last point of window 1 and the first of window 2.
  const recs = metrics([counter('A', 9_000, 100), counter('A', 11_000, 610), counter('A', 19_000, 650), counter('A', 29_000, 700)]);
  const { points } = runWindows(recs, { grouping: 'vehicle' });
  const rate = (w: number) => find(points, 'frames_total.rate', T0 + w * S10).map((p) => p.value);
  assert.deepEqual(rate(0), [], 'a single first point has nothing to increase from');
  assert.deepEqual(rate(1), [(650 - 100) / 10], 'from window 1\'s last point (9 s) to 19 s: the +500 burst at the boundary is counted');
  assert.deepEqual(rate(2), [(700 - 650) / 10], 'one point per window still yields a rate');
});

test('a carried counter point expires: a source silent for longer than carryMaxAgeMs starts afresh', () => {
  const recs = metrics([counter('A', 1_000, 100), counter('A', 9_000, 140), counter('A', 61_000, 1000), counter('A', 69_000, 1040)]);
  const { points, r } = runWindows(recs, { grouping: 'vehicle', carryMaxAgeMs: 30_000 });
  assert.deepEqual(find(points, 'frames_total.rate', T0 + 60_000).map((p) => p.value), [40 / 8], 'not the average over the 52 s gap');
  // After the last window the carry is only dropped once it is older than the bound (store bounded per group).
  assert.equal([...r.stores.get('series-windows')!.keys()].filter((k) => k.startsWith('c|')).length, 0, 'flushed an hour on: carry expired');
});

test('dropped counter/histogram points are dead-lettered with their own code, the window keeps the points it could take', () => {
  const recs = metrics([
    hist('A', 1000, [1, 1, 1, 0], 30), hist('B', 2000, [1, 1, 0], 10, [10, 20]), hist('A', 9000, [2, 2, 2, 0], 60),
  ]);
  const { points, r } = runWindows(recs, { grouping: 'fleet' });
  assert.equal(r.dlq.length, 1);
  assert.equal(r.dlq[0]!.error.code, ErrorCodes.HISTOGRAM_BOUNDS_CHANGED);
  assert.match(r.dlq[0]!.error.message, /bounds \[10, 20\] but this window's are \[10, 20, 50\]/);
  assert.equal(find(points, 'lat.mean')[0]!.value, 10, 'A alone: +3 observations, +30');
  // Equal bucket count, different bounds: still not mergeable.
  const shifted = runWindows(metrics([hist('A', 1000, [1, 1, 1, 0], 30), hist('B', 2000, [1, 1, 1, 0], 30, [10, 20, 60])]));
  assert.equal(shifted.r.dlq[0]?.error.code, ErrorCodes.HISTOGRAM_BOUNDS_CHANGED);
});

test('a full counter window dead-letters the extra points as SERIES_WINDOW_FULL', () => {
  const recs = metrics(Array.from({ length: MAX_POINTS_PER_WINDOW + 3 }, (_, i) => counter(`V${i % 50}`, 1 + (i % 9000), i)));
  const { r } = runWindows(recs, { grouping: 'fleet' });
  assert.equal(r.dlq.length, 3);
  for (const d of r.dlq) assert.equal(d.error.code, ErrorCodes.SERIES_WINDOW_FULL);
});

test('helpers: cumulative increase and bucket quantile by hand', () => {
  assert.equal(cumulativeIncrease([1, 5, 2, 4]), 4 + 2 + 2);
  // 10 in (0,10], 10 in (10,20]: median at rank 10 → upper edge of first bucket.
  assert.equal(bucketQuantile(0.5, [10, 20], [10, 10, 0]), 10);
  assert.equal(bucketQuantile(0.75, [10, 20], [10, 10, 0]), 15);
});

test('spans: P50/P95/P99 through DDSketch within 1 % of the exact quantiles, and error rate', () => {
  // Latencies 1..1000 ms in shuffled order: exact (lower) quantiles are 500, 950, 990.
  const order = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
  const recs = order.map((i) => ({ topic: Topics.spans, value: span({ service: 'svc', op: 'op', endMs: T0 + 1 + (i % 9000), durMs: i + 1, error: i % 50 === 0 }) }));
  const { points } = runWindows(recs);
  const q = (n: string) => find(points, n)[0]!.value;
  for (const [name, exact] of [['span.latency.p50', 500], ['span.latency.p95', 950], ['span.latency.p99', 990]] as const) {
    assert.ok(Math.abs(q(name) - exact) / exact <= 0.0101, `${name}=${q(name)} vs ${exact}`);
  }
  assert.equal(q('span.error_rate'), 20 / 1000);
  assert.deepEqual(find(points, 'span.latency.p95')[0]!.labels, { operation: 'op', service: 'svc' });
});

test('grouping: per vehicle vs fleet-wide', () => {
  const recs = [gauge('g', T0 + 1, 1, 'A'), gauge('g', T0 + 2, 3, 'B')].map((v) => ({ topic: Topics.metrics, value: v }));
  const fleet = runWindows(recs, { grouping: 'fleet' }).points.filter((p) => p.name === 'g.mean');
  const perVehicle = runWindows(recs, { grouping: 'vehicle' }).points.filter((p) => p.name === 'g.mean');
  assert.deepEqual(fleet.map((p) => [p.scope, p.value]), [['fleet', 2]]);
  assert.deepEqual(perVehicle.map((p) => [p.scope, p.value]).sort(), [['A', 1], ['B', 3]]);
});

test('bad input is rejected with INVALID_RECORD and the rest keeps flowing', () => {
  const nowMs = T0 + 60_000;
  const bad: { topic: string; value: unknown }[] = [
    { topic: Topics.metrics, value: gauge('g', T0 + 1, Number.NaN) },
    { topic: Topics.metrics, value: gauge('g', T0 + 2, Number.POSITIVE_INFINITY) },
    { topic: Topics.spans, value: span({ service: 's', op: 'o', endMs: T0 + 3, durMs: -5 }) },
    // Vehicle clock jumped a year ahead: must not drag the watermark forward.
    { topic: Topics.metrics, value: gauge('g', T0 + 365 * 86_400_000, 1) },
    { topic: Topics.metrics, value: gauge('g', Date.UTC(1970, 0, 2), 1) },
  ];
  const good = [gauge('g', T0 + 4, 5), gauge('g', T0 + 5, 7)].map((v) => ({ topic: Topics.metrics, value: v }));
  const p = createSeriesWindowProcessor({ windowMs: S10, allowedLatenessMs: 0 });
  const r = runStages([p], [...bad, ...good].map((x) => ({ ...x, key: 'k' })), { nowMs, flushUntilMs: T0 + S10 });
  assert.equal(r.dlq.length, 5);
  for (const d of r.dlq) assert.equal(d.error.code, ErrorCodes.INVALID_RECORD);
  assert.match(r.dlq[2]!.error.message, /negative duration/);
  assert.match(r.dlq[3]!.error.message, /ahead of the wall clock/);
  const mean = r.outputs.map((o) => o.value as SeriesPoint).find((x) => x.name === 'g.mean');
  assert.equal(mean?.value, 6);
});

test('records behind the watermark are routed late, not folded into a closed window', () => {
  const recs = [gauge('g', T0 + 1000, 1), gauge('g', T0 + 25_000, 2), gauge('g', T0 + 2000, 100)].map((v) => ({ topic: Topics.metrics, value: v }));
  const { points, r } = runWindows(recs, { allowedLatenessMs: 0 });
  assert.equal(r.late.length, 1);
  assert.equal(find(points, 'g.mean')[0]!.value, 1);
});

test('pipeline helper: metrics and spans of one partition are interleaved by event time, none late', () => {
  const metrics = Array.from({ length: 120 }, (_, i) => gauge('cpu', T0 + i * 1000, 50));
  const spans = Array.from({ length: 120 }, (_, i) => span({ service: 's', op: 'o', endMs: T0 + i * 1000 + 500, durMs: 10 }));
  const out = runDriftPipeline({ metrics, spans, alerts: { policies: { file: '-', coreChains: [], policies: [] } }, seriesDrift: { allowedLatenessMs: 0 }, flushUntilMs: T0 + 10 * 60_000 });
  assert.equal(out.raw.late.length, 0);
  const names = new Set(out.baselines.map((b) => b.name));
  for (const n of ['cpu.mean', 'cpu.last', 'span.latency.p95', 'span.error_rate']) assert.ok(names.has(n), n);
});
