/**
 * What one event-time window remembers about one group of raw records, and how it
 * turns into series points when the window closes. Accumulators are plain JSON (they
 * live in the state store and its changelog). Counter and histogram points are
 * cumulative (Prometheus/OTel cumulative temporality), so the window keeps its points
 * per source and computes a reset-aware increase per source at close time: points may
 * arrive out of order within a window and the increase is only defined in time order
 * within one source's sequence.
 */
import { seriesId } from './series-id.ts';
import { emptySketch, sketchAdd, sketchQuantiles, type SketchBins } from './latency-sketch.ts';
import { SpanSeries, type SeriesPoint } from './series-types.ts';
import { spanDurationMs, type MetricRecord, type SpanRecord } from './input-records.ts';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

/** Gauge window: last value by event time and the mean. */
export interface GaugeAcc { readonly kind: 'gauge'; readonly name: string; readonly labels: Record<string, string>; readonly lastTs: number; readonly last: number; readonly sum: number; readonly n: number }
/** One cumulative counter point `[timestampMs, value]`. */
export type CounterPoint = readonly [number, number];
/**
 * Counter window: its points per source (vehicle). A fleet-wide series pools many
 * vehicles' counters, and each is cumulative on its own: the increase is only defined
 * within one source's sequence (a switch from vehicle A's total to B's is not a reset).
 */
export interface CounterAcc { readonly kind: 'counter'; readonly name: string; readonly labels: Record<string, string>; readonly sources: Readonly<Record<string, readonly CounterPoint[]>>; readonly n: number }
/** One cumulative histogram point. */
export interface HistPoint { readonly t: number; readonly counts: readonly number[]; readonly sum: number; readonly count: number }
/** Histogram window: its cumulative points per source and the bucket bounds all of them share. */
export interface HistogramAcc { readonly kind: 'histogram'; readonly name: string; readonly labels: Record<string, string>; readonly bounds: readonly number[]; readonly sources: Readonly<Record<string, readonly HistPoint[]>>; readonly n: number }
/** Span window of one service/operation: a latency sketch and error counts. */
export interface SpanAcc { readonly kind: 'span'; readonly labels: Record<string, string>; readonly sketch: SketchBins; readonly errors: number; readonly n: number }

/** Any window accumulator. */
export type WindowAcc = GaugeAcc | CounterAcc | HistogramAcc | SpanAcc;

/**
 * The last cumulative point of each source of one counter/histogram group, carried from
 * one window to the next so a window's increase starts at the previous window's last
 * point: without it the increase between two windows' points is lost, and a source that
 * reports once per window never yields a rate. Bounded by MAX_CARRY_SOURCES and by age.
 */
export interface CarryState {
  readonly kind: 'carry';
  readonly counter: Readonly<Record<string, CounterPoint>>;
  readonly histogram: Readonly<Record<string, HistPoint & { readonly bounds: readonly number[] }>>;
}

/** Bound on points kept per counter/histogram window (memory bound); extra points go to the DLQ (SERIES_WINDOW_FULL). */
export const MAX_POINTS_PER_WINDOW = 10_000;
/** Bound on sources whose last point a group carries between windows (oldest dropped first). */
export const MAX_CARRY_SOURCES = 10_000;

/** Group key (within a scope) of a metric point. */
export function metricGroupKey(m: MetricRecord): string {
  return `m:${seriesId(m.name, m.labels, '')}`;
}

/** Group key (within a scope) of a span. */
export function spanGroupKey(s: SpanRecord): string {
  return `s:${s.service}\u0000${s.name}`;
}

/**
 * Identity of the producer of a cumulative series within its group. Name and labels
 * (including any instance label) already select the group, so what is left to tell
 * two cumulative sequences apart is the vehicle.
 */
export function metricSourceKey(m: MetricRecord): string {
  return m.vehicleId;
}

/** Accumulators written before points were kept per source (`points`, one pooled list) read as one unnamed source. */
type LegacyPoints<P> = { readonly points?: readonly P[] };
function upgradeCounter(a: CounterAcc & LegacyPoints<CounterPoint>): CounterAcc {
  return a.sources ? a : { kind: 'counter', name: a.name, labels: a.labels, sources: { '': a.points ?? [] }, n: a.points?.length ?? 0 };
}
function upgradeHistogram(a: HistogramAcc & LegacyPoints<HistPoint>): HistogramAcc {
  return a.sources ? a : { kind: 'histogram', name: a.name, labels: a.labels, bounds: a.bounds, sources: { '': a.points ?? [] }, n: a.points?.length ?? 0 };
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function windowFull(m: MetricRecord): FmeaflowError {
  return new FmeaflowError(ErrorCodes.SERIES_WINDOW_FULL, `${m.kind} window of ${m.name} already holds ${MAX_POINTS_PER_WINDOW} points; point of ${m.vehicleId} not kept`, {
    details: { metric: m.name, vehicleId: m.vehicleId, limit: MAX_POINTS_PER_WINDOW },
  });
}

/**
 * Folds one validated metric point into its window accumulator. A point that cannot be
 * kept (window full, histogram bounds differing from the window's) throws, so the
 * runtime dead-letters and counts it by code instead of it vanishing.
 */
export function addMetric(acc: WindowAcc | undefined, m: MetricRecord): WindowAcc {
  const labels = { ...m.labels };
  if (m.kind === 'GAUGE') {
    const v = m.value as number;
    const a = acc as GaugeAcc | undefined;
    if (!a) return { kind: 'gauge', name: m.name, labels, lastTs: m.timestampMs, last: v, sum: v, n: 1 };
    const newer = m.timestampMs >= a.lastTs;
    return { ...a, lastTs: newer ? m.timestampMs : a.lastTs, last: newer ? v : a.last, sum: a.sum + v, n: a.n + 1 };
  }
  const src = metricSourceKey(m);
  if (m.kind === 'COUNTER') {
    const a = acc ? upgradeCounter(acc as CounterAcc) : { kind: 'counter' as const, name: m.name, labels, sources: {}, n: 0 };
    if (a.n >= MAX_POINTS_PER_WINDOW) throw windowFull(m);
    const mine = a.sources[src] ?? [];
    return { ...a, sources: { ...a.sources, [src]: [...mine, [m.timestampMs, m.value as number]] }, n: a.n + 1 };
  }
  const h = m.histogram!;
  const a = acc ? upgradeHistogram(acc as HistogramAcc) : { kind: 'histogram' as const, name: m.name, labels, bounds: [...h.bounds], sources: {}, n: 0 };
  if (!sameBounds(a.bounds, h.bounds)) {
    throw new FmeaflowError(ErrorCodes.HISTOGRAM_BOUNDS_CHANGED, `histogram ${m.name} of ${m.vehicleId} has bounds [${h.bounds.join(', ')}] but this window's are [${a.bounds.join(', ')}]; buckets cannot be merged, point not kept`, {
      details: { metric: m.name, vehicleId: m.vehicleId, field: 'histogram.bounds' },
    });
  }
  if (a.n >= MAX_POINTS_PER_WINDOW) throw windowFull(m);
  const mine = a.sources[src] ?? [];
  return { ...a, sources: { ...a.sources, [src]: [...mine, { t: m.timestampMs, counts: [...h.counts], sum: h.sum, count: h.count }] }, n: a.n + 1 };
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

/** An empty carry. */
export function emptyCarry(): CarryState {
  return { kind: 'carry', counter: {}, histogram: {} };
}

/** Keeps the `max` newest entries of a carry map that are not older than `minT`. */
function pruneCarry<P extends { readonly t: number } | CounterPoint>(m: Readonly<Record<string, P>>, minT: number, max: number): Record<string, P> {
  const tOf = (p: P): number => (Array.isArray(p) ? (p as CounterPoint)[0] : (p as { t: number }).t);
  let kept = Object.entries(m).filter(([, p]) => tOf(p) >= minT);
  if (kept.length > max) kept = kept.sort((a, b) => tOf(b[1]) - tOf(a[1])).slice(0, max);
  return Object.fromEntries(kept);
}

/** The carry without sources whose last point is older than `minT` (and within MAX_CARRY_SOURCES); null when nothing is left. */
export function expireCarry(c: CarryState, minT: number): CarryState | null {
  const counter = pruneCarry(c.counter, minT, MAX_CARRY_SOURCES);
  const histogram = pruneCarry(c.histogram, minT, MAX_CARRY_SOURCES);
  if (Object.keys(counter).length === 0 && Object.keys(histogram).length === 0) return null;
  return { kind: 'carry', counter, histogram };
}

/** What closing one window of one group yields: its series points and the carry for the next window. */
export interface ClosedWindow {
  readonly points: SeriesPoint[];
  /** Null for gauges and spans (nothing cumulative to carry). */
  readonly carry: CarryState | null;
}

/**
 * Series points of one closed window plus the carry for the next. Counter and histogram
 * increases are computed per source (from the carried previous point when there is one,
 * else from the window's first point) and summed; a source's rate is its increase over
 * the time its points cover, so the fleet rate is the sum of the per-source rates.
 */
export function closeAccumulator(acc: WindowAcc, carry: CarryState | null, scope: string, startMs: number, endMs: number): ClosedWindow {
  const out: SeriesPoint[] = [];
  const push = (name: string, labels: Record<string, string>, v: number, n: number): void => {
    if (Number.isFinite(v)) out.push(point(name, labels, scope, startMs, endMs, v, n));
  };
  switch (acc.kind) {
    case 'gauge':
      push(`${acc.name}.last`, acc.labels, acc.last, acc.n);
      push(`${acc.name}.mean`, acc.labels, acc.sum / acc.n, acc.n);
      return { points: out, carry: null };
    case 'counter': {
      const a = upgradeCounter(acc);
      const next: Record<string, CounterPoint> = { ...(carry?.counter ?? {}) };
      let rate = 0;
      let covered = false;
      for (const [src, own] of Object.entries(a.sources)) {
        if (own.length === 0) continue;
        const pts = [...own].sort((x, y) => x[0] - y[0]);
        const prev = carry?.counter[src];
        const seq = prev && prev[0] < pts[0]![0] ? [prev, ...pts] : pts;
        next[src] = pts[pts.length - 1]!;
        const dt = (seq[seq.length - 1]![0] - seq[0]![0]) / 1000;
        if (seq.length < 2 || !(dt > 0)) continue;
        rate += cumulativeIncrease(seq.map((p) => p[1])) / dt;
        covered = true;
      }
      if (covered) push(`${acc.name}.rate`, acc.labels, rate, a.n);
      return { points: out, carry: { kind: 'carry', counter: next, histogram: carry?.histogram ?? {} } };
    }
    case 'histogram': {
      const a = upgradeHistogram(acc);
      const next: Record<string, HistPoint & { bounds: readonly number[] }> = { ...(carry?.histogram ?? {}) };
      const merged = new Array<number>(a.bounds.length + 1).fill(0);
      let dCount = 0;
      let dSum = 0;
      let countRate = 0;
      let covered = false;
      for (const [src, own] of Object.entries(a.sources)) {
        if (own.length === 0) continue;
        const pts = [...own].sort((x, y) => x.t - y.t);
        const prev = carry?.histogram[src];
        // A carried point with other bounds is a re-configured histogram: start afresh, as after a reset.
        const seq = prev && prev.t < pts[0]!.t && sameBounds(prev.bounds, a.bounds) ? [prev, ...pts] : pts;
        next[src] = { ...pts[pts.length - 1]!, bounds: a.bounds };
        const dt = (seq[seq.length - 1]!.t - seq[0]!.t) / 1000;
        if (seq.length < 2 || !(dt > 0)) continue;
        for (let i = 0; i < merged.length; i++) merged[i]! += cumulativeIncrease(seq.map((p) => p.counts[i] ?? 0));
        const c = cumulativeIncrease(seq.map((p) => p.count));
        dCount += c;
        dSum += cumulativeIncrease(seq.map((p) => p.sum));
        countRate += c / dt;
        covered = true;
      }
      if (covered) push(`${acc.name}.count_rate`, acc.labels, countRate, a.n);
      if (dCount > 0) {
        push(`${acc.name}.mean`, acc.labels, dSum / dCount, dCount);
        push(`${acc.name}.p95`, acc.labels, bucketQuantile(0.95, a.bounds, merged), dCount);
      }
      return { points: out, carry: { kind: 'carry', counter: carry?.counter ?? {}, histogram: next } };
    }
    case 'span': {
      if (acc.n > 0) {
        const [p50, p95, p99] = sketchQuantiles(acc.sketch, [0.5, 0.95, 0.99]);
        push(SpanSeries.p50, acc.labels, p50!, acc.n);
        push(SpanSeries.p95, acc.labels, p95!, acc.n);
        push(SpanSeries.p99, acc.labels, p99!, acc.n);
        push(SpanSeries.errorRate, acc.labels, acc.errors / acc.n, acc.n);
      }
      return { points: out, carry: null };
    }
  }
}

/** Series points of one closed window with nothing carried in; accumulators with too little data yield none. */
export function finalizeWindow(acc: WindowAcc, scope: string, startMs: number, endMs: number): SeriesPoint[] {
  return closeAccumulator(acc, null, scope, startMs, endMs).points;
}
