/**
 * Counts records per key and emits the running count on every record. The simplest
 * stateful processor, used by runtime tests (exactly-once, restore, scale-out) and the
 * throughput benchmark: with no loss and no duplicates, key k's outputs are exactly
 * 1, 2, …, n_k — an oracle that needs no reference implementation.
 */
import type { Processor } from '../processor.ts';

export interface CountPerKeyOptions {
  readonly name?: string;
  readonly input: string;
  readonly output: string;
  readonly allowedLatenessMs?: number;
  /** Field of the value holding event time in ms (default `timestampMs`). */
  readonly timeField?: string;
  /** Throw on this key (to exercise the DLQ path). */
  readonly failOnKey?: string;
}

/** The emitted value. */
export interface KeyCount {
  readonly key: string;
  readonly count: number;
}

/** A processor counting records per key. */
export function countPerKey(o: CountPerKeyOptions): Processor<number, Record<string, unknown>> {
  const timeField = o.timeField ?? 'timestampMs';
  return {
    name: o.name ?? 'count-per-key',
    inputTopics: [o.input],
    outputTopics: [o.output],
    store: `${o.name ?? 'count-per-key'}-store`,
    allowedLatenessMs: o.allowedLatenessMs ?? Number.MAX_SAFE_INTEGER,
    eventTimeMs: (v) => Number(v[timeField]),
    process(store, record) {
      if (o.failOnKey !== undefined && record.key === o.failOnKey) throw new Error(`refusing key ${record.key} (test poison)`);
      const count = (store.get(record.key) ?? 0) + 1;
      const value: KeyCount = { key: record.key, count };
      return { updates: [{ key: record.key, value: count }], outputs: [{ topic: o.output, key: record.key, value }] };
    },
  };
}
