/**
 * Thin Processor for the windowing stage alone: metrics + spans in, one series point
 * per closed window out to an internal topic keyed by series id (so a later stage can
 * be partitioned by series). Use `createSeriesDriftProcessor` instead when windows,
 * baselines and drift should run in one task without the internal topic.
 */
import { prefixed, Topics } from '../../topic-catalog.ts';
import type { Processor } from '../processor.ts';
import type { MetricRecord, SpanRecord } from './input-records.ts';
import { accumulateRecord, closeWindow, expireAdmissionTimer, expireCarryTimer, seriesEventTimeMs, windowBucket, seriesWindowConfig, type SeriesWindowConfig, type SeriesWindowOptions, type SeriesWindowStoreValue } from './series-window-stage.ts';

/** Internal topic of series points (not yet in the catalog: see the report). */
export const SERIES_POINTS_TOPIC = prefixed('fmeaflow.series-points.v1');

/** Options of the windowing processor. */
export type SeriesWindowProcessorOptions = SeriesWindowOptions & { readonly allowedLatenessMs?: number };

/** Creates the windowing processor (`series-windows`). */
export function createSeriesWindowProcessor(opts: SeriesWindowProcessorOptions = {}): Processor<SeriesWindowStoreValue, MetricRecord | SpanRecord> {
  const { allowedLatenessMs: _lateness, ...windowOpts } = opts;
  const cfg: SeriesWindowConfig = seriesWindowConfig(windowOpts);
  return {
    name: 'series-windows',
    inputTopics: [Topics.metrics, Topics.spans],
    outputTopics: [SERIES_POINTS_TOPIC],
    store: 'series-windows',
    allowedLatenessMs: opts.allowedLatenessMs ?? 30_000,
    eventTimeMs: seriesEventTimeMs,
    storeBucket: windowBucket,
    process(store, record, ctx) {
      return accumulateRecord(store, record.topic, record.value, ctx.nowMs, cfg);
    },
    onTimer(store, timer) {
      const admission = expireAdmissionTimer(store, timer, cfg);
      if (admission) return admission;
      const carry = expireCarryTimer(store, timer, cfg);
      if (carry) return carry;
      if (!timer.id.startsWith('close|')) return {};
      const { points, updates, timers } = closeWindow(store, Number(timer.payload?.['windowStartMs']), cfg);
      return { updates, timers, outputs: points.map((p) => ({ topic: SERIES_POINTS_TOPIC, key: p.seriesId, value: p })) };
    },
  };
}
