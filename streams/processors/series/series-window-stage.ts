/**
 * The windowing stage as two pure steps: fold a record into its (window, series group)
 * accumulator, and close every accumulator of a window when its event-time timer
 * fires. Store keys are `w|<windowStartMs>|<scope>|<group>` so one prefix scan finds a
 * window's accumulators; the timer id `close|<windowStartMs>` is shared by all groups
 * of a window, so re-registering it on every record is idempotent.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { Topics } from '../../topic-catalog.ts';
import type { ReadonlyStore, StoreUpdate, TimerRequest } from '../processor.ts';
import { FLEET_SCOPE, type SeriesGrouping, type SeriesPoint } from './series-types.ts';
import { windowStartOf } from './tumbling-window.ts';
import { addMetric, addSpan, finalizeWindow, metricGroupKey, spanGroupKey, type WindowAcc } from './window-accumulator.ts';
import { DEFAULT_TIME_SANITY, spanEventTimeMs, validateMetric, validateSpan, type MetricRecord, type SpanRecord, type TimeSanity } from './input-records.ts';

/** Configuration of the windowing stage. */
export interface SeriesWindowConfig {
  /** Tumbling window size, e.g. 10_000 or 60_000. */
  readonly windowMs: number;
  /** `vehicle`: one series per vehicle; `fleet`: one series across vehicles (needs input partitioned so a series lives in one partition). */
  readonly grouping: SeriesGrouping;
  readonly timeSanity: TimeSanity;
}

/** Defaults: 1-minute windows, fleet-wide series. */
export const DEFAULT_SERIES_WINDOW_CONFIG: SeriesWindowConfig = { windowMs: 60_000, grouping: 'fleet', timeSanity: DEFAULT_TIME_SANITY };

const WINDOW_PREFIX = 'w|';

/** Merges options over the defaults and checks them (throws BAD_CONFIG). */
export function seriesWindowConfig(p: Partial<SeriesWindowConfig> = {}): SeriesWindowConfig {
  const c = { ...DEFAULT_SERIES_WINDOW_CONFIG, ...p };
  if (!(Number.isInteger(c.windowMs) && c.windowMs > 0)) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `series window size must be a positive integer of ms, got ${c.windowMs}`, { details: { field: 'windowMs' } });
  if (c.grouping !== 'vehicle' && c.grouping !== 'fleet') throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `series grouping must be 'vehicle' or 'fleet', got ${String(c.grouping)}`, { details: { field: 'grouping' } });
  return c;
}

/** Event time (ms) of a metric or span record of the given topic. */
export function seriesEventTimeMs(value: MetricRecord | SpanRecord, topic: string): number {
  return topic === Topics.spans ? spanEventTimeMs(value as SpanRecord) : (value as MetricRecord).timestampMs;
}

/** Timer id that closes the window starting at `startMs`. */
export function closeTimerId(startMs: number): string {
  return `close|${startMs}`;
}

/** Folds one metric/span into its window; throws INVALID_RECORD on bad input. */
export function accumulateRecord<S>(
  store: ReadonlyStore<S>, topic: string, value: MetricRecord | SpanRecord, nowMs: number, cfg: SeriesWindowConfig,
): { update: StoreUpdate<WindowAcc>; timer: TimerRequest } {
  const isSpan = topic === Topics.spans;
  if (isSpan) validateSpan(value as SpanRecord, nowMs, cfg.timeSanity);
  else validateMetric(value as MetricRecord, nowMs, cfg.timeSanity);
  const t = seriesEventTimeMs(value, topic);
  const start = windowStartOf(t, cfg.windowMs);
  const scope = cfg.grouping === 'fleet' ? FLEET_SCOPE : value.vehicleId;
  const group = isSpan ? spanGroupKey(value as SpanRecord) : metricGroupKey(value as MetricRecord);
  const key = `${WINDOW_PREFIX}${start}|${scope}|${group}`;
  const prev = store.get(key) as WindowAcc | undefined;
  const next = isSpan ? addSpan(prev, value as SpanRecord) : addMetric(prev, value as MetricRecord);
  return { update: { key, value: next }, timer: { kind: 'event-time', id: closeTimerId(start), atMs: start + cfg.windowMs, payload: { windowStartMs: start } } };
}

/** Closes all accumulators of the window starting at `startMs`: their points and the deletes. */
export function closeWindow<S>(store: ReadonlyStore<S>, startMs: number, cfg: SeriesWindowConfig): { points: SeriesPoint[]; deletes: StoreUpdate<never>[] } {
  const prefix = `${WINDOW_PREFIX}${startMs}|`;
  const points: SeriesPoint[] = [];
  const deletes: StoreUpdate<never>[] = [];
  const hits: [string, WindowAcc][] = [];
  for (const [k, v] of store.entries()) if (k.startsWith(prefix)) hits.push([k, v as WindowAcc]);
  // Deterministic output order whatever the store's iteration order.
  hits.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (const [k, acc] of hits) {
    const scope = k.slice(prefix.length, k.indexOf('|', prefix.length));
    points.push(...finalizeWindow(acc, scope, startMs, startMs + cfg.windowMs));
    deletes.push({ key: k, value: null });
  }
  return { points, deletes };
}
