/**
 * Caps on series state. Series are keyed by untrusted vehicle ids and label values, so one sender
 * inventing ids or labels would otherwise grow the store (and its changelog) without bound until the
 * idle expiry. A series group (scope + name + labels) is admitted once, under three caps: groups per
 * partition, groups per series name (label sets of one metric) and vehicles per partition. A record of
 * a group that does not fit is refused with STATE_LIMIT_REACHED (the runtime dead-letters and counts it)
 * while every admitted group keeps working. An admitted group stays admitted until it has been idle for
 * `idleMs`, so it leaves the caps the same way its series states leave the store.
 *
 * Store keys: `g|<scope>|<group>` (admitted group: the start of its newest window), `v|<scope>` (admitted
 * groups of a vehicle), and the counters `#groups`, `#vehicles` and `#name|<scope>|<name>`.
 */
import { ErrorCodes, FmeaflowError, quoteUntrusted } from '../../errors.ts';
import type { ReadonlyStore, StoreUpdate, TimerRequest } from '../processor.ts';

/** Bounds of the series state of one partition (see README, "Bounded state"). */
export interface SeriesLimits {
  /** Series groups (scope + name + labels) per partition. */
  readonly maxGroups: number;
  /** Series groups per series name and scope (vehicle, or the fleet): label sets of one metric, operations of one service. */
  readonly maxGroupsPerName: number;
  /** Vehicles with series per partition (vehicle grouping). */
  readonly maxVehicles: number;
  /** An admitted group idle for this long (event time) is forgotten and leaves the caps. */
  readonly idleMs: number;
}

// ~2.3 KB of heap per admitted gauge group (bench/RESULTS.md, "Bounded series state"): 50,000 groups ≈ 115 MB per partition.
// Capacity planning puts ~500 vehicles on a partition, so these leave 10-100x headroom for real fleets.
export const DEFAULT_SERIES_LIMITS: SeriesLimits = { maxGroups: 50_000, maxGroupsPerName: 1_000, maxVehicles: 10_000, idleMs: 6 * 3600_000 };

/** What admission keeps in the store: admitted groups and counters. */
export type AdmissionValue = AdmittedGroup | number;

/** An admitted group. */
export interface AdmittedGroup {
  /** Start of the newest window the group had a record in. */
  readonly lastWindowStartMs: number;
  readonly name: string;
  readonly scope: string;
}

const GROUP_PREFIX = 'g|';
const VEHICLE_PREFIX = 'v|';
const GROUPS = '#groups';
const VEHICLES = '#vehicles';
const nameKey = (scope: string, name: string): string => `#name|${scope}|${name}`;
/** Timer ids of the idle expiry of an admitted group. */
export const ADMISSION_TIMER_PREFIX = 'gx|';

/** Checks limits (throws BAD_CONFIG). */
export function seriesLimits(p: Partial<SeriesLimits> = {}): SeriesLimits {
  const l = { ...DEFAULT_SERIES_LIMITS, ...p };
  for (const [field, v] of Object.entries(l)) {
    if (!(Number.isInteger(v) && v > 0)) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `series limit ${field} must be a positive integer, got ${v}`, { details: { field } });
  }
  return l;
}

function refuse(limit: string, bound: number, what: string): never {
  throw new FmeaflowError(ErrorCodes.STATE_LIMIT_REACHED, `${what}: ${limit} (${bound}) reached; the record is refused, admitted series go on`, { details: { limit, bound } });
}

/**
 * Admits the record's group (or confirms it) for the window starting at `windowStartMs`; returns the store
 * updates and the idle timer to write, nothing when the group already has this window. Throws STATE_LIMIT_REACHED.
 */
export function admitGroup<S>(store: ReadonlyStore<S>, scope: string, group: string, name: string, windowStartMs: number, windowMs: number, perVehicle: boolean, limits: SeriesLimits): { updates: StoreUpdate<AdmissionValue>[]; timers: TimerRequest[] } {
  const key = `${GROUP_PREFIX}${scope}|${group}`;
  const prev = store.get(key) as AdmittedGroup | undefined;
  if (prev && prev.lastWindowStartMs >= windowStartMs) return { updates: [], timers: [] };
  const updates: StoreUpdate<AdmissionValue>[] = [];
  if (!prev) {
    const count = (k: string): number => (store.get(k) as number | undefined) ?? 0;
    const what = `series ${quoteUntrusted(name)} of ${quoteUntrusted(scope)}`;
    if (count(GROUPS) >= limits.maxGroups) refuse('series per partition', limits.maxGroups, what);
    if (count(nameKey(scope, name)) >= limits.maxGroupsPerName) refuse('label sets per series name', limits.maxGroupsPerName, what);
    if (perVehicle) {
      const ofVehicle = count(VEHICLE_PREFIX + scope);
      if (ofVehicle === 0) {
        if (count(VEHICLES) >= limits.maxVehicles) refuse('vehicles per partition', limits.maxVehicles, what);
        updates.push({ key: VEHICLES, value: count(VEHICLES) + 1 });
      }
      updates.push({ key: VEHICLE_PREFIX + scope, value: ofVehicle + 1 });
    }
    updates.push({ key: GROUPS, value: count(GROUPS) + 1 }, { key: nameKey(scope, name), value: count(nameKey(scope, name)) + 1 });
  }
  updates.push({ key, value: { lastWindowStartMs: windowStartMs, name, scope } satisfies AdmittedGroup });
  const timer: TimerRequest = { kind: 'event-time', id: `${ADMISSION_TIMER_PREFIX}${scope}|${group}`, atMs: windowStartMs + windowMs + limits.idleMs, payload: { perVehicle } };
  return { updates, timers: [timer] };
}

/** Handles an admission idle timer: forgets a group idle for `idleMs` and releases its place under the caps; null for other timers. */
export function expireAdmission<S>(store: ReadonlyStore<S>, timer: { readonly id: string; readonly atMs: number; readonly payload?: Readonly<Record<string, unknown>> }, windowMs: number, limits: SeriesLimits): { updates: StoreUpdate<AdmissionValue>[] } | null {
  if (!timer.id.startsWith(ADMISSION_TIMER_PREFIX)) return null;
  const rest = timer.id.slice(ADMISSION_TIMER_PREFIX.length);
  const key = GROUP_PREFIX + rest;
  const g = store.get(key) as AdmittedGroup | undefined;
  if (!g || g.lastWindowStartMs + windowMs + limits.idleMs > timer.atMs) return { updates: [] };
  const count = (k: string): number => (store.get(k) as number | undefined) ?? 0;
  const dec = (k: string): StoreUpdate<AdmissionValue> => ({ key: k, value: count(k) > 1 ? count(k) - 1 : null });
  const updates: StoreUpdate<AdmissionValue>[] = [{ key, value: null }, dec(GROUPS), dec(nameKey(g.scope, g.name))];
  if (timer.payload?.['perVehicle'] === true) {
    const scope = g.scope;
    if (count(VEHICLE_PREFIX + scope) <= 1) updates.push(dec(VEHICLES));
    updates.push(dec(VEHICLE_PREFIX + scope));
  }
  return { updates };
}
