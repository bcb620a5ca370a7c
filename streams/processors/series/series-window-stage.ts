/**
 * The windowing stage as two pure steps: fold a record into its (window, series group)
 * accumulator, and close every accumulator of a window when its event-time timer
 * fires. Store keys are `w|<windowStartMs>|<scope>|<group>` so one prefix scan finds a
 * window's accumulators; the timer id `close|<windowStartMs>` is shared by all groups
 * of a window, so re-registering it on every record is idempotent. Counter/histogram
 * groups also keep `c|<scope>|<group>`: each source's last cumulative point, carried
 * into the next window and dropped once older than `carryMaxAgeMs`.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { Topics } from '../../topic-catalog.ts';
import type { ReadonlyStore, StoreUpdate, TimerRequest } from '../processor.ts';
import { FLEET_SCOPE, type SeriesGrouping, type SeriesPoint } from './series-types.ts';
import { windowStartOf } from './tumbling-window.ts';
import { addMetric, addSpan, closeAccumulator, expireCarry, metricGroupKey, spanGroupKey, type CarryState, type WindowAcc } from './window-accumulator.ts';
import { admitGroup, DEFAULT_SERIES_LIMITS, type AdmissionValue, expireAdmission, seriesLimits, type SeriesLimits } from './series-admission.ts';
import { DEFAULT_TIME_SANITY, spanEventTimeMs, validateMetric, validateSpan, type MetricRecord, type SpanRecord, type TimeSanity } from './input-records.ts';

/** Configuration of the windowing stage. */
export interface SeriesWindowConfig {
  /** Tumbling window size, e.g. 10_000 or 60_000. */
  readonly windowMs: number;
  /** `vehicle`: one series per vehicle; `fleet`: one series across vehicles (needs input partitioned so a series lives in one partition). */
  readonly grouping: SeriesGrouping;
  readonly timeSanity: TimeSanity;
  /**
   * How long a source's last counter/histogram point is carried into later windows (default 5 windows).
   * A source silent for longer starts afresh, so its first window back does not report the average over the gap.
   */
  readonly carryMaxAgeMs: number;
  /** Caps on series groups, label sets and vehicles per partition (series-admission.ts). */
  readonly limits: SeriesLimits;
}

/** Defaults: 1-minute windows, fleet-wide series, carry over 5 windows, DEFAULT_SERIES_LIMITS. */
export const DEFAULT_SERIES_WINDOW_CONFIG: SeriesWindowConfig = { windowMs: 60_000, grouping: 'fleet', timeSanity: DEFAULT_TIME_SANITY, carryMaxAgeMs: 5 * 60_000, limits: DEFAULT_SERIES_LIMITS };

/** What the windowing stage keeps in its store. */
export type SeriesWindowStoreValue = WindowAcc | CarryState | AdmissionValue;

const WINDOW_PREFIX = 'w|';
const CARRY_PREFIX = 'c|';

/** Options of the windowing stage: any part of the configuration, limits included. */
export type SeriesWindowOptions = Partial<Omit<SeriesWindowConfig, 'limits'>> & { readonly limits?: Partial<SeriesLimits> };

/** Merges options over the defaults and checks them (throws BAD_CONFIG). */
export function seriesWindowConfig(p: SeriesWindowOptions = {}): SeriesWindowConfig {
  const windowMs = p.windowMs ?? DEFAULT_SERIES_WINDOW_CONFIG.windowMs;
  const c = { ...DEFAULT_SERIES_WINDOW_CONFIG, carryMaxAgeMs: 5 * windowMs, ...p, limits: seriesLimits(p.limits) };
  if (!(Number.isInteger(c.windowMs) && c.windowMs > 0)) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `series window size must be a positive integer of ms, got ${c.windowMs}`, { details: { field: 'windowMs' } });
  if (!(c.carryMaxAgeMs >= 0)) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `series carryMaxAgeMs must be >= 0, got ${c.carryMaxAgeMs}`, { details: { field: 'carryMaxAgeMs' } });
  if (c.grouping !== 'vehicle' && c.grouping !== 'fleet') throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `series grouping must be 'vehicle' or 'fleet', got ${String(c.grouping)}`, { details: { field: 'grouping' } });
  return c;
}

/** Event time (ms) of a metric or span record of the given topic. */
export function seriesEventTimeMs(value: MetricRecord | SpanRecord, topic: string): number {
  return topic === Topics.spans ? spanEventTimeMs(value as SpanRecord) : (value as MetricRecord).timestampMs;
}

/** Store bucket of the accumulators of the window starting at `startMs`. */
function windowBucketName(startMs: number): string {
  return `${WINDOW_PREFIX}${startMs}`;
}

/** `Processor.storeBucket` of the windowing stage: a window accumulator `w|<start>|…` belongs to its window's bucket. */
export function windowBucket(key: string): string | undefined {
  if (!key.startsWith(WINDOW_PREFIX)) return undefined;
  const bar = key.indexOf('|', WINDOW_PREFIX.length);
  return bar < 0 ? undefined : key.slice(0, bar);
}

/** Timer id that closes the window starting at `startMs`. */
export function closeTimerId(startMs: number): string {
  return `close|${startMs}`;
}

/**
 * Folds one metric/span into its window; throws INVALID_RECORD on bad input, SERIES_WINDOW_FULL / HISTOGRAM_BOUNDS_CHANGED
 * when the point cannot be kept, STATE_LIMIT_REACHED when its series does not fit under the caps.
 */
export function accumulateRecord<S>(
  store: ReadonlyStore<S>, topic: string, value: MetricRecord | SpanRecord, nowMs: number, cfg: SeriesWindowConfig,
): { updates: StoreUpdate<SeriesWindowStoreValue>[]; timers: TimerRequest[] } {
  const isSpan = topic === Topics.spans;
  if (isSpan) validateSpan(value as SpanRecord, nowMs, cfg.timeSanity);
  else validateMetric(value as MetricRecord, nowMs, cfg.timeSanity);
  const t = seriesEventTimeMs(value, topic);
  const start = windowStartOf(t, cfg.windowMs);
  const scope = cfg.grouping === 'fleet' ? FLEET_SCOPE : value.vehicleId;
  const group = isSpan ? spanGroupKey(value as SpanRecord) : metricGroupKey(value as MetricRecord);
  const name = isSpan ? `span:${(value as SpanRecord).service}` : (value as MetricRecord).name;
  const admitted = admitGroup(store, scope, group, name, start, cfg.windowMs, cfg.grouping === 'vehicle', cfg.limits);
  const key = `${WINDOW_PREFIX}${start}|${scope}|${group}`;
  const prev = store.get(key) as WindowAcc | undefined;
  const next = isSpan ? addSpan(prev, value as SpanRecord) : addMetric(prev, value as MetricRecord);
  return {
    updates: [...admitted.updates, { key, value: next }],
    timers: [...admitted.timers, { kind: 'event-time', id: closeTimerId(start), atMs: start + cfg.windowMs, payload: { windowStartMs: start } }],
  };
}

/** Handles an admission idle timer (series-admission.ts); null for other timers. */
export function expireAdmissionTimer<S>(store: ReadonlyStore<S>, timer: { readonly id: string; readonly atMs: number; readonly payload?: Readonly<Record<string, unknown>> }, cfg: SeriesWindowConfig): { updates: StoreUpdate<SeriesWindowStoreValue>[] } | null {
  return expireAdmission(store, timer, cfg.windowMs, cfg.limits);
}

/**
 * Closes all accumulators of the window starting at `startMs`: their points, and the
 * store updates (accumulators deleted, carries written, carries past `carryMaxAgeMs` dropped).
 */
export function closeWindow<S>(store: ReadonlyStore<S>, startMs: number, cfg: SeriesWindowConfig): { points: SeriesPoint[]; updates: StoreUpdate<CarryState>[]; timers: TimerRequest[] } {
  const prefix = `${WINDOW_PREFIX}${startMs}|`;
  const endMs = startMs + cfg.windowMs;
  const points: SeriesPoint[] = [];
  const updates: StoreUpdate<CarryState>[] = [];
  const timers: TimerRequest[] = [];
  const hits: [string, WindowAcc][] = [];
  // The runtime's store indexes accumulators by window (windowBucket): closing one costs its own groups, not the store.
  const candidates = store.bucket ? store.bucket(windowBucketName(startMs)) : store.entries();
  for (const [k, v] of candidates) if (k.startsWith(prefix)) hits.push([k, v as WindowAcc]);
  // Deterministic output order whatever the store's iteration order.
  hits.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const minT = endMs - cfg.carryMaxAgeMs;
  for (const [k, acc] of hits) {
    const rest = k.slice(prefix.length);
    const scope = rest.slice(0, rest.indexOf('|'));
    const carryKey = `${CARRY_PREFIX}${rest}`;
    const prev = store.get(carryKey) as CarryState | undefined;
    const closed = closeAccumulator(acc, prev ? expireCarry(prev, minT) : null, scope, startMs, endMs);
    points.push(...closed.points);
    updates.push({ key: k, value: null });
    if (closed.carry) {
      updates.push({ key: carryKey, value: closed.carry });
      // A group that stops reporting is forgotten when its newest carried point is too old (re-armed on every close).
      timers.push({ kind: 'event-time', id: carryKey, atMs: endMs + cfg.carryMaxAgeMs, payload: { carryKey } });
    }
  }
  return { points, updates, timers };
}

/** Handles a carry-expiry timer (id `c|…`): drops the group's carry once every source in it is too old; null for other timers. */
export function expireCarryTimer<S>(store: ReadonlyStore<S>, timer: { readonly id: string; readonly atMs: number }, cfg: SeriesWindowConfig): { updates: StoreUpdate<CarryState>[] } | null {
  if (!timer.id.startsWith(CARRY_PREFIX)) return null;
  const c = store.get(timer.id) as CarryState | undefined;
  if (!c) return { updates: [] };
  const kept = expireCarry(c, timer.atMs - cfg.carryMaxAgeMs);
  return { updates: kept ? [] : [{ key: timer.id, value: null }] };
}
