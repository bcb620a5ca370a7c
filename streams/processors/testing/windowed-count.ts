/**
 * Counts records per key in tumbling event-time windows and emits each window once,
 * when the partition watermark passes its end (an event-time timer). Used to test
 * watermarks, out-of-order input and the late side output.
 */
import type { Processor } from '../processor.ts';
import { tumblingWindow, windowId } from '../windows.ts';

export interface WindowedCountOptions {
  readonly input: string;
  readonly output: string;
  readonly windowMs: number;
  readonly allowedLatenessMs: number;
  readonly timeField?: string;
}

/** The emitted value: the count of `key` in [startMs, endMs). */
export interface WindowCount {
  readonly key: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly count: number;
}

/** A processor counting records per key and tumbling window. */
export function windowedCount(o: WindowedCountOptions): Processor<WindowCount, Record<string, unknown>> {
  const timeField = o.timeField ?? 'timestampMs';
  return {
    name: 'windowed-count',
    inputTopics: [o.input],
    outputTopics: [o.output],
    store: 'windowed-count-store',
    allowedLatenessMs: o.allowedLatenessMs,
    eventTimeMs: (v) => Number(v[timeField]),
    process(store, record) {
      const w = tumblingWindow(record.eventTimeMs, o.windowMs);
      const storeKey = `${record.key}@${windowId(w)}`;
      const prev = store.get(storeKey);
      const next: WindowCount = { key: record.key, startMs: w.startMs, endMs: w.endMs, count: (prev?.count ?? 0) + 1 };
      return {
        updates: [{ key: storeKey, value: next }],
        timers: prev ? [] : [{ kind: 'event-time', id: storeKey, atMs: w.endMs, payload: { storeKey } }],
      };
    },
    onTimer(store, timer) {
      const storeKey = String(timer.payload?.storeKey);
      const v = store.get(storeKey);
      if (!v) return {};
      return { updates: [{ key: storeKey, value: null }], outputs: [{ topic: o.output, key: v.key, value: v }] };
    },
  };
}
