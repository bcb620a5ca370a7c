/**
 * Processors of the baseline/drift stage. `createSeriesDriftProcessor` fuses windows,
 * baselines and drift in one task (metrics + spans in; baselines + drift out; no
 * internal topic) and is the one to wire by default. `createBaselineDriftProcessor`
 * judges series points from the internal series-points topic, for when windows run as
 * their own stage.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { Topics } from '../../topic-catalog.ts';
import type { Processor } from '../processor.ts';
import type { MetricRecord, SpanRecord } from '../series/input-records.ts';
import type { SeriesPoint } from '../series/series-types.ts';
import { accumulateRecord, closeWindow, expireAdmissionTimer, expireCarryTimer, seriesEventTimeMs, windowBucket, seriesWindowConfig, type SeriesWindowConfig, type SeriesWindowOptions, type SeriesWindowStoreValue } from '../series/series-window-stage.ts';
import { SERIES_POINTS_TOPIC } from '../series/series-window-processor.ts';
import type { BaselineConfig } from '../baseline/ewma-baseline.ts';
import { driftConfig, type DriftConfig } from './drift-config.ts';
import { expireSeries, judgePoints } from './drift-stage.ts';
import type { SeriesState } from './series-judge.ts';

/** Options of the fused windows → baseline → drift processor. */
export interface SeriesDriftProcessorOptions {
  readonly window?: SeriesWindowOptions;
  readonly drift?: Partial<Omit<DriftConfig, 'baseline'>> & { baseline?: Partial<BaselineConfig> };
  /** Allowed lateness of metrics/spans (default 30 s). */
  readonly allowedLatenessMs?: number;
}

/** Creates the fused processor `series-drift` (store `series-drift`: windows `w|…`, counter carries `c|…` and series states `s|…`). */
export function createSeriesDriftProcessor(opts: SeriesDriftProcessorOptions = {}): Processor<SeriesWindowStoreValue | SeriesState, MetricRecord | SpanRecord> {
  const dcfg = driftConfig(opts.drift);
  // A series leaves the caps when its state leaves the store.
  const wcfg: SeriesWindowConfig = seriesWindowConfig({ ...opts.window, limits: { idleMs: dcfg.baseline.idleExpiryMs, ...opts.window?.limits } });
  return {
    name: 'series-drift',
    inputTopics: [Topics.metrics, Topics.spans],
    outputTopics: [Topics.baselines, Topics.drift],
    store: 'series-drift',
    allowedLatenessMs: opts.allowedLatenessMs ?? 30_000,
    eventTimeMs: seriesEventTimeMs,
    storeBucket: windowBucket,
    process(store, record, ctx) {
      return accumulateRecord(store, record.topic, record.value, ctx.nowMs, wcfg);
    },
    onTimer(store, timer) {
      const expired = expireSeries(store, timer, dcfg);
      if (expired) return expired;
      const admission = expireAdmissionTimer(store, timer, wcfg);
      if (admission) return admission;
      const carry = expireCarryTimer(store, timer, wcfg);
      if (carry) return carry;
      if (!timer.id.startsWith('close|')) return {};
      const { points, updates, timers } = closeWindow(store, Number(timer.payload?.['windowStartMs']), wcfg);
      const r = judgePoints(store, points, dcfg);
      return { updates: [...updates, ...r.updates], outputs: r.outputs, timers: [...timers, ...r.timers] };
    },
  };
}

/** Options of the stand-alone baseline/drift processor. */
export interface BaselineDriftProcessorOptions {
  readonly drift?: Partial<Omit<DriftConfig, 'baseline'>> & { baseline?: Partial<BaselineConfig> };
  readonly allowedLatenessMs?: number;
}

/** Creates `baseline-drift`: series points (internal topic, key = seriesId) in; baselines + drift out. */
export function createBaselineDriftProcessor(opts: BaselineDriftProcessorOptions = {}): Processor<SeriesState, SeriesPoint> {
  const dcfg = driftConfig(opts.drift);
  return {
    name: 'baseline-drift',
    inputTopics: [SERIES_POINTS_TOPIC],
    outputTopics: [Topics.baselines, Topics.drift],
    store: 'baseline-drift',
    allowedLatenessMs: opts.allowedLatenessMs ?? 60_000,
    eventTimeMs: (p) => p.windowEndMs,
    process(store, record) {
      const r = judgePoints(store, [record.value], dcfg);
      // A point older than the series' last judged window cannot be judged in order: DLQ it, do not drop it quietly.
      if (r.stale > 0) throw new FmeaflowError(ErrorCodes.LATE_RECORD, `series point ${record.value.seriesId} @ ${record.value.windowStartMs} is older than the last judged window`, { details: { seriesId: record.value.seriesId } });
      return { updates: r.updates, outputs: r.outputs, timers: r.timers };
    },
    onTimer(store, timer) {
      return expireSeries(store, timer, dcfg) ?? {};
    },
  };
}
