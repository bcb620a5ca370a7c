/**
 * Global tables: the latest value per key of a compacted topic that every worker reads
 * in full (releases, rule sets). Processors see them read-only through `ctx.globals`.
 */
import type { GlobalTables } from '../../processors/processor.ts';

const EMPTY: ReadonlyMap<string, unknown> = new Map<string, unknown>();

/** Mutable set of global tables, read-only to processors. */
export class GlobalTableSet implements GlobalTables {
  private readonly tables = new Map<string, Map<string, unknown>>();

  /** Applies one record: a null value (tombstone) deletes the key. */
  apply(topic: string, key: string, value: unknown): void {
    let t = this.tables.get(topic);
    if (!t) {
      t = new Map();
      this.tables.set(topic, t);
    }
    if (value === null || value === undefined) t.delete(key);
    else t.set(key, value);
  }

  /** Latest value per key of a global topic, or an empty map. */
  table<V = unknown>(topic: string): ReadonlyMap<string, V> {
    return (this.tables.get(topic) ?? EMPTY) as ReadonlyMap<string, V>;
  }
}
