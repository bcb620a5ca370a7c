import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topics } from '../../../streams/topic-catalog.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { createSeriesWindowProcessor, SERIES_POINTS_TOPIC } from '../../../streams/processors/series/series-window-processor.ts';
import { runStages } from '../../../streams/processors/drift/in-memory-driver.ts';
import type { SeriesPoint } from '../../../streams/processors/series/series-types.ts';
import type { MetricRecord } from '../../../streams/processors/series/input-records.ts';
import { bucketQuantile, cumulativeIncrease } from '../../../streams/processors/series/window-accumulator.ts';
import { runDriftPipeline } from '../../../streams/processors/drift/drift-pipeline.ts';
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
