/**
 * Global tables: the latest value per key of a compacted topic that every worker reads
 * in full (releases, rule sets). Processors see them read-only through `ctx.globals`.
 *
 * A record that fails its topic's validator is not applied: the previous value stays, so
 * one bad release event cannot end or distort a release in progress. Rejections are not
 * sent to the DLQ, because every worker reads every global record (and re-reads them all
 * on restart): a DLQ write from here would repeat per worker and per restart. The caller
 * logs and counts them instead.
 */
import { asFmeaflowError, ErrorCodes, type FmeaflowError } from '../../errors.ts';
import type { GlobalTables, Processor } from '../../processors/processor.ts';
import { validateReleaseEvent, type ReleaseEvent } from '../../processors/suppression/release-table.ts';
import { validateVehicleRecord } from '../../processors/fmea/vehicle-registry.ts';
import { Topics } from '../../topic-catalog.ts';

const EMPTY: ReadonlyMap<string, unknown> = new Map<string, unknown>();

/** Throws a typed error when a global record (value under key) must not enter its table. */
export type GlobalValidator = (value: unknown, key: string) => void;

/** The validators the engine applies to its global topics. */
export const DEFAULT_GLOBAL_VALIDATORS: Readonly<Record<string, GlobalValidator>> = {
  [Topics.releases]: (v) => validateReleaseEvent(v as ReleaseEvent),
  [Topics.vehicles]: validateVehicleRecord,
};

/** The validators for the global topics `processors` read: the defaults, then each processor's own; a record must pass all of them. */
export function globalValidatorsOf(processors: readonly Pick<Processor<any, any>, 'globalValidators'>[]): Record<string, GlobalValidator> {
  const all = new Map<string, GlobalValidator[]>(Object.entries(DEFAULT_GLOBAL_VALIDATORS).map(([t, v]) => [t, [v]]));
  for (const p of processors) for (const [t, v] of Object.entries(p.globalValidators ?? {})) all.set(t, [...(all.get(t) ?? []), v]);
  return Object.fromEntries([...all].map(([t, vs]) => [t, (value: unknown, key: string) => { for (const v of vs) v(value, key); }]));
}

/** Mutable set of global tables, read-only to processors. */
export class GlobalTableSet implements GlobalTables {
  private readonly tables = new Map<string, Map<string, unknown>>();

  constructor(private readonly validators: Readonly<Record<string, GlobalValidator>> = DEFAULT_GLOBAL_VALIDATORS) {}

  /** Applies one record (a null value, a tombstone, deletes the key); returns the error of a rejected record, else null. */
  apply(topic: string, key: string, value: unknown): FmeaflowError | null {
    let t = this.tables.get(topic);
    if (!t) {
      t = new Map();
      this.tables.set(topic, t);
    }
    if (value === null || value === undefined) {
      t.delete(key);
      return null;
    }
    const validate = this.validators[topic];
    if (validate) {
      try {
        validate(value, key);
      } catch (err) {
        return asFmeaflowError(err, ErrorCodes.INVALID_RECORD);
      }
    }
    t.set(key, value);
    return null;
  }

  /** Latest value per key of a global topic, or an empty map. */
  table<V = unknown>(topic: string): ReadonlyMap<string, V> {
    return (this.tables.get(topic) ?? EMPTY) as ReadonlyMap<string, V>;
  }
}
