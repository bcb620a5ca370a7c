/**
 * The state store of one partition task: a map, plus an index of keys by the bucket the processor
 * assigns them (`Processor.storeBucket`, e.g. the window a key belongs to), so a processor closing a
 * window reads that window's keys in O(keys of the window) instead of scanning a store that holds
 * millions of series.
 */
import type { ReadonlyStore } from '../../processors/processor.ts';

export class BucketedStore<S> implements ReadonlyStore<S> {
  private readonly buckets = new Map<string, Set<string>>();

  constructor(readonly map: Map<string, S>, private readonly bucketOf?: (key: string) => string | undefined) {}

  get(key: string): S | undefined {
    return this.map.get(key);
  }

  entries(): Iterable<readonly [string, S]> {
    return this.map.entries();
  }

  get size(): number {
    return this.map.size;
  }

  /** Keys of one bucket with their values (empty when the processor assigns no buckets). */
  *bucket(name: string): Iterable<readonly [string, S]> {
    for (const key of this.buckets.get(name) ?? []) {
      const v = this.map.get(key);
      if (v !== undefined) yield [key, v];
    }
  }

  set(key: string, value: S): void {
    if (this.bucketOf && !this.map.has(key)) {
      const b = this.bucketOf(key);
      if (b !== undefined) {
        let keys = this.buckets.get(b);
        if (!keys) this.buckets.set(b, (keys = new Set()));
        keys.add(key);
      }
    }
    this.map.set(key, value);
  }

  delete(key: string): void {
    if (this.bucketOf && this.map.delete(key)) {
      const b = this.bucketOf(key);
      if (b === undefined) return;
      const keys = this.buckets.get(b);
      keys?.delete(key);
      if (keys?.size === 0) this.buckets.delete(b);
      return;
    }
    this.map.delete(key);
  }
}
