/** A minimal in-memory driver for processors in unit tests (store, globals, timers by hand). */
import type { FiredTimer, Processor, ProcessorEvent, ProcessResult, ReadonlyStore } from '../../../streams/processors/processor.ts';

export class TestStore<S> implements ReadonlyStore<S> {
  readonly map = new Map<string, S>();
  get(key: string): S | undefined { return this.map.get(key); }
  entries(): Iterable<readonly [string, S]> { return this.map.entries(); }
  get size(): number { return this.map.size; }
  apply(r: ProcessResult<S>): void {
    for (const u of r.updates ?? []) (u.value === null ? this.map.delete(u.key) : this.map.set(u.key, u.value));
  }
}

/** Drives one processor: feed records, fire timers, collect outputs. */
export class Driver<S, V> {
  readonly store = new TestStore<S>();
  readonly tables = new Map<string, Map<string, unknown>>();
  readonly timers = new Map<string, FiredTimer>();
  /** Every event the processor reported, in order. */
  readonly events: ProcessorEvent[] = [];
  watermark = 0;
  constructor(readonly proc: Processor<S, V>) {}
  private ctx(nowMs: number) {
    return { partition: 0, watermarkMs: this.watermark, nowMs, globals: { table: <T>(t: string) => (this.tables.get(t) ?? new Map()) as unknown as ReadonlyMap<string, T> } };
  }
  private absorb(r: ProcessResult<S>): unknown[] {
    this.store.apply(r);
    this.events.push(...(r.events ?? []));
    for (const t of r.timers ?? []) this.timers.set(t.id, { ...t, partition: 0 });
    for (const id of r.cancelTimers ?? []) this.timers.delete(id);
    return (r.outputs ?? []).map((o) => o.value);
  }
  /** Processes one record; returns output values. */
  feed(topic: string, value: V): unknown[] {
    const t = this.proc.eventTimeMs(value, topic);
    this.watermark = Math.max(this.watermark, t - this.proc.allowedLatenessMs);
    return this.absorb(this.proc.process(this.store, { topic, partition: 0, offset: '0', key: '', value, eventTimeMs: t, headers: {} }, this.ctx(t)));
  }
  /** Fires every event-time timer due at `watermarkMs` (in time order); returns output values. */
  advanceTo(watermarkMs: number): unknown[] {
    this.watermark = Math.max(this.watermark, watermarkMs);
    const due = [...this.timers.values()].filter((t) => t.atMs <= this.watermark).sort((a, b) => a.atMs - b.atMs);
    const out: unknown[] = [];
    for (const t of due) {
      this.timers.delete(t.id);
      out.push(...this.absorb(this.proc.onTimer!(this.store, t, this.ctx(t.atMs))));
    }
    return out;
  }
}
