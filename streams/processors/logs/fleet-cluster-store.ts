/**
 * Layout of the fleet log-cluster processor's state store. Keys: `meta` (last closed
 * window, counters), `fc:<signature>` (one fleet cluster: trend, per-source-partition
 * level, last known templates), `fw:<windowStartMs>:<signature>` (the per-partition events
 * of one open window, deleted when the window is emitted). Idle clusters are deleted after
 * `expireAfterWindows`, so the store holds live clusters plus at most the open windows.
 */
import type { TrendState } from './cluster-trends.ts';
import type { ClusterTemplateOut, LogClusterEvent } from './log-cluster-event.ts';

/** Counters of the fleet stage (events that could not be used show up here). */
export interface FleetCounters {
  eventsIn: number;
  duplicateEvents: number;
  /** Events for a window this partition had already emitted (only after a skew larger than the allowed one). */
  eventsAfterClose: number;
  windowsClosed: number;
  eventsEmitted: number;
  clustersExpired: number;
}

/** A zeroed counter set. */
export function zeroFleetCounters(): FleetCounters {
  return { eventsIn: 0, duplicateEvents: 0, eventsAfterClose: 0, windowsClosed: 0, eventsEmitted: 0, clustersExpired: 0 };
}

/** `meta`: the last window this store partition emitted. */
export interface FleetMetaValue {
  readonly kind: 'meta';
  readonly lastClosedStartMs: number | null;
  readonly counters: FleetCounters;
}

/**
 * What the fleet stage knows about one per-partition cluster of a signature between its events.
 * Per-partition processors only emit on NEW/RATE_UP/GONE/UPDATE, so in a window without an event
 * the cluster was neither new nor spiking nor gone: its count is taken to be its level, the
 * partition's EWMA baseline after its last event.
 */
export interface SourceLevel {
  readonly level: number;
  readonly active: boolean;
  /**
   * The level split over the vehicles of the cluster's last event with lines (their shares of its count), so a
   * fleet event lists the vehicles its count includes. Absent in stores written before it was kept.
   */
  readonly vehicles?: Readonly<Record<string, number>>;
  /** Distinct vehicles of that event (more than `vehicles` holds when its vehicle list was cut). */
  readonly vehicleCount?: number;
}

/** What a fleet event shows of a cluster in windows no partition reported (e.g. GONE). */
export interface FleetSnapshot {
  readonly templates: readonly ClusterTemplateOut[];
  readonly keywords: readonly string[];
  readonly examples: LogClusterEvent['examples'];
  readonly embeddingVersion: string;
  readonly clusteringMethod: string;
}

/** `fc:<signature>`: one fleet cluster. */
export interface FleetClusterValue {
  readonly kind: 'cluster';
  readonly signature: string;
  readonly id: string;
  readonly trend: TrendState;
  readonly createdWindowStartMs: number;
  /** Last window folded into the trend. */
  readonly lastWindowStartMs: number;
  /** Last window any partition sent an event for (what expiry counts from). */
  readonly lastReportWindowStartMs: number;
  /** `<sourcePartition>/<clusterId>` → level. */
  readonly sources: Readonly<Record<string, SourceLevel>>;
  readonly snapshot: FleetSnapshot;
}

/** `fw:<startMs>:<signature>`: per-partition events of one signature in one open window. */
export interface FleetWindowValue {
  readonly kind: 'window';
  readonly signature: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly reports: readonly LogClusterEvent[];
}

/** Every value the store holds. */
export type FleetStoreValue = FleetMetaValue | FleetClusterValue | FleetWindowValue;

/** Store keys. */
export const FleetStoreKeys = {
  meta: 'meta',
  cluster: (signature: string) => `fc:${signature}`,
  window: (startMs: number, signature: string) => `fw:${startMs}:${signature}`,
} as const;

/** Source key of a per-partition cluster. */
export function sourceKey(partition: number, clusterId: string): string {
  return `${partition}/${clusterId}`;
}
