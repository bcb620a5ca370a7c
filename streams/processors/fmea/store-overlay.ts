/**
 * A write-through overlay on a read-only processor store: the evaluator reads its own
 * writes within one record, and the processor turns the overlay into StoreUpdates at the
 * end. Keeps the evaluator free of the processor contract so `rules test` and benchmarks can
 * run it on a plain Map.
 */
import type { ReadonlyStore, StoreUpdate } from '../processor.ts';

export interface KeyValue {
  get<T>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  /** Keys starting with `prefix`, overlay applied. */
  entries<T>(prefix: string): Iterable<readonly [string, T]>;
}

/** KeyValue over a ReadonlyStore with buffered writes. */
export class StoreOverlay implements KeyValue {
  private readonly writes = new Map<string, unknown>();
  /**
   * `bucketOf` is the processor's `storeBucket`: a prefix it maps to a bucket is read from that bucket of the base store
   * (when the store indexes buckets) instead of a scan of every key, which made each prefix read cost the whole store.
   */
  constructor(private readonly base: ReadonlyStore<unknown>, private readonly bucketOf?: (key: string) => string | undefined) {}
  get<T>(key: string): T | undefined {
    if (this.writes.has(key)) return (this.writes.get(key) ?? undefined) as T | undefined;
    return this.base.get(key) as T | undefined;
  }
  set(key: string, value: unknown): void {
    this.writes.set(key, value);
  }
  *entries<T>(prefix: string): Iterable<readonly [string, T]> {
    const bucket = this.base.bucket ? this.bucketOf?.(prefix) : undefined;
    for (const [k, v] of bucket !== undefined ? this.base.bucket!(bucket) : this.base.entries()) {
      if (!k.startsWith(prefix) || this.writes.has(k)) continue;
      yield [k, v as T];
    }
    for (const [k, v] of this.writes) if (k.startsWith(prefix) && v !== null) yield [k, v as T];
  }
  /** Buffered writes as store updates. */
  updates(): StoreUpdate<unknown>[] {
    return [...this.writes].map(([key, value]) => ({ key, value: value ?? null }));
  }
}

/** KeyValue over a plain Map (tests, benchmarks, `rules test`). */
export class MapKeyValue implements KeyValue {
  constructor(readonly map = new Map<string, unknown>()) {}
  get<T>(key: string): T | undefined {
    return this.map.get(key) as T | undefined;
  }
  set(key: string, value: unknown): void {
    if (value === null) this.map.delete(key);
    else this.map.set(key, value);
  }
  *entries<T>(prefix: string): Iterable<readonly [string, T]> {
    for (const [k, v] of this.map) if (k.startsWith(prefix)) yield [k, v as T];
  }
}
