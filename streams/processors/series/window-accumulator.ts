/**
 * What one event-time window remembers about one group of raw records, and how it
 * turns into series points when the window closes. Accumulators are plain JSON (they
 * live in the state store and its changelog). Counter and histogram points are
 * cumulative (Prometheus/OTel cumulative temporality), so the window keeps its points
 * and computes a reset-aware increase at close time: points may arrive out of order
 * within a window and the increase is only defined in time order.
 */
import { seriesId } from './series-id.ts';
import { emptySketch, sketchAdd, sketchQuantiles, type SketchBins } from './latency-sketch.ts';
import { SpanSeries, type SeriesPoint } from './series-types.ts';
import { spanDurationMs, type MetricRecord, type SpanRecord } from './input-records.ts';

/** Gauge window: last value by event time and the mean. */
export interface GaugeAcc { readonly kind: 'gauge'; readonly name: string; readonly labels: Record<string, string>; readonly lastTs: number; readonly last: number; readonly sum: number; readonly n: number }
/** Counter window: its points, sorted at close. */
export interface CounterAcc { readonly kind: 'counter'; readonly name: string; readonly labels: Record<string, string>; readonly points: readonly (readonly [number, number])[]; readonly dropped: number }
/** One cumulative histogram point. */
export interface HistPoint { readonly t: number; readonly counts: readonly number[]; readonly sum: number; readonly count: number }
/** Histogram window: its cumulative points and bucket bounds. */
export interface HistogramAcc { readonly kind: 'histogram'; readonly name: string; readonly labels: Record<string, string>; readonly bounds: readonly number[]; readonly points: readonly HistPoint[]; readonly dropped: number }
/** Span window of one service/operation: a latency sketch and error counts. */
export interface SpanAcc { readonly kind: 'span'; readonly labels: Record<string, string>; readonly sketch: SketchBins; readonly errors: number; readonly n: number }

/** Any window accumulator. */
export type WindowAcc = GaugeAcc | CounterAcc | HistogramAcc | SpanAcc;

/** Bound on points kept per counter/histogram window (memory bound); extra points are counted, not kept. */
export const MAX_POINTS_PER_WINDOW = 10_000;

/** Group key (within a scope) of a metric point. */
export function metricGroupKey(m: MetricRecord): string {
  return `m:${seriesId(m.name, m.labels, '')}`;
}

/** Group key (within a scope) of a span. */
export function spanGroupKey(s: SpanRecord): string {
  return `s:${s.service}\u0000${s.name}`;
}

/** Folds one validated metric point into its window accumulator. */
export function addMetric(acc: WindowAcc | undefined, m: MetricRecord): WindowAcc {
  const labels = { ...m.labels };
  if (m.kind === 'GAUGE') {
    const v = m.value as number;
    const a = acc as GaugeAcc | undefined;
    if (!a) return { kind: 'gauge', name: m.name, labels, lastTs: m.timestampMs, last: v, sum: v, n: 1 };
    const newer = m.timestampMs >= a.lastTs;
    return { ...a, lastTs: newer ? m.timestampMs : a.lastTs, last: newer ? v : a.last, sum: a.sum + v, n: a.n + 1 };
  }
  if (m.kind === 'COUNTER') {
    const a = (acc as CounterAcc | undefined) ?? { kind: 'counter', name: m.name, labels, points: [], dropped: 0 };
    if (a.points.length >= MAX_POINTS_PER_WINDOW) return { ...a, dropped: a.dropped + 1 };
    return { ...a, points: [...a.points, [m.timestampMs, m.value as number]] };
  }
  const h = m.histogram!;
  const a = (acc as HistogramAcc | undefined) ?? { kind: 'histogram', name: m.name, labels, bounds: [...h.bounds], points: [], dropped: 0 };
  if (a.points.length >= MAX_POINTS_PER_WINDOW || a.bounds.length !== h.bounds.length) return { ...a, dropped: a.dropped + 1 };
  return { ...a, points: [...a.points, { t: m.timestampMs, counts: [...h.counts], sum: h.sum, count: h.count }] };
}

/** Folds one validated span into its window accumulator. */
export function addSpan(acc: WindowAcc | undefined, s: SpanRecord): WindowAcc {
  const a = (acc as SpanAcc | undefined) ?? { kind: 'span', labels: { service: s.service, operation: s.name }, sketch: emptySketch(), errors: 0, n: 0 };
  return { ...a, sketch: sketchAdd(a.sketch, spanDurationMs(s)), errors: a.errors + (s.status === 'ERROR' ? 1 : 0), n: a.n + 1 };
}

/** Reset-aware increase of a cumulative sequence (as Prometheus `increase` without extrapolation). */
export function cumulativeIncrease(values: readonly number[]): number {
  let inc = 0;
  for (let i = 1; i < values.length; i++) {
    const d = values[i]! - values[i - 1]!;
    // A drop means the counter restarted from zero: the new value is all increase.
    inc += d >= 0 ? d : values[i]!;
  }
  return inc;
}

/**
 * Upper-bound interpolation of a quantile from explicit buckets, as Prometheus
 * `histogram_quantile` does (linear within the bucket; the +Inf bucket yields its lower bound).
 */
export function bucketQuantile(q: number, bounds: readonly number[], counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return Number.NaN;
  const rank = q * total;
  let cum = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (cum + c >= rank && c > 0) {
      if (i === bounds.length) return bounds[bounds.length - 1] ?? Number.NaN;
      const lo = i === 0 ? Math.min(0, bounds[0]!) : bounds[i - 1]!;
      return lo + ((bounds[i]! - lo) * (rank - cum)) / c;
    }
    cum += c;
  }
  return bounds[bounds.length - 1] ?? Number.NaN;
}

function point(name: string, labels: Record<string, string>, scope: string, start: number, end: number, value: number, n: number): SeriesPoint {
  return { seriesId: seriesId(name, labels, scope), name, labels, scope, windowStartMs: start, windowEndMs: end, value, sampleCount: n };
}

/** Series points of one closed window; accumulators with too little data yield none. */
export function finalizeWindow(acc: WindowAcc, scope: string, startMs: number, endMs: number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  const push = (name: string, labels: Record<string, string>, v: number, n: number): void => {
    if (Number.isFinite(v)) out.push(point(name, labels, scope, startMs, endMs, v, n));
  };
  switch (acc.kind) {
    case 'gauge':
      push(`${acc.name}.last`, acc.labels, acc.last, acc.n);
      push(`${acc.name}.mean`, acc.labels, acc.sum / acc.n, acc.n);
      break;
    case 'counter': {
      const pts = [...acc.points].sort((a, b) => a[0] - b[0]);
      if (pts.length < 2) break;
      const dt = (pts[pts.length - 1]![0] - pts[0]![0]) / 1000;
      if (dt > 0) push(`${acc.name}.rate`, acc.labels, cumulativeIncrease(pts.map((p) => p[1])) / dt, pts.length);
      break;
    }
    case 'histogram': {
      const pts = [...acc.points].sort((a, b) => a.t - b.t);
      if (pts.length < 2) break;
      const merged = acc.bounds.map(() => 0).concat([0]).map((_, i) => cumulativeIncrease(pts.map((p) => p.counts[i] ?? 0)));
      const dCount = cumulativeIncrease(pts.map((p) => p.count));
      const dSum = cumulativeIncrease(pts.map((p) => p.sum));
      const dt = (pts[pts.length - 1]!.t - pts[0]!.t) / 1000;
      if (dt > 0) push(`${acc.name}.count_rate`, acc.labels, dCount / dt, pts.length);
      if (dCount > 0) {
        push(`${acc.name}.mean`, acc.labels, dSum / dCount, dCount);
        push(`${acc.name}.p95`, acc.labels, bucketQuantile(0.95, acc.bounds, merged), dCount);
      }
      break;
    }
    case 'span': {
      if (acc.n === 0) break;
      const [p50, p95, p99] = sketchQuantiles(acc.sketch, [0.5, 0.95, 0.99]);
      push(SpanSeries.p50, acc.labels, p50!, acc.n);
      push(SpanSeries.p95, acc.labels, p95!, acc.n);
      push(SpanSeries.p99, acc.labels, p99!, acc.n);
      push(SpanSeries.errorRate, acc.labels, acc.errors / acc.n, acc.n);
      break;
    }
  }
  return out;
}
