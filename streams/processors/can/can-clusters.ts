/**
 * The CAN cluster processor: keeps the latest feature vector per vehicle, bus and period and,
 * every period of event time, clusters each vehicle's latest vector up to that boundary (kmeans-clustering.ts) and publishes a
 * snapshot with centroids in original units to `fmeaflow.can-clusters.v1`. Clustering is
 * over the vectors this partition sees; for a fleet-wide view the topology feeds it through
 * a single partition (the output topic has one), see the report.
 */
import { Topics } from '../../topic-catalog.ts';
import type { FiredTimer, InputRecord, ProcessResult, Processor, ProcessorContext, ReadonlyStore, StoreUpdate } from '../processor.ts';
import type { CanFeatureVector } from './can-features.ts';
import { CAN_FEATURE_DIMENSIONS } from './feature-dimensions.ts';
import { clusterFeatureVectors, type ClusterOptions } from './kmeans-clustering.ts';

/** Value of `fmeaflow.can-clusters.v1` (schemas/can-cluster-snapshot.avsc). */
export interface CanClusterSnapshot {
  readonly snapshotId: string;
  readonly partition: number;
  readonly computedAtMs: number;
  readonly periodMs: number;
  readonly dimensions: string[];
  readonly k: number;
  readonly kChosenBy: string;
  readonly silhouette: number | null;
  readonly vectorCount: number;
  readonly droppedVectors: number;
  readonly means: Record<string, number>;
  readonly stdDevs: Record<string, number>;
  readonly clusters: { clusterId: number; size: number; share: number; centroid: Record<string, number>; centroidZ: Record<string, number>; memberVehicles: string[] }[];
}

export interface CanClustersConfig extends Partial<Omit<ClusterOptions, 'dimensions'>> {
  readonly name?: string;
  /** Clustering period in event time (default 60 s). */
  readonly periodMs?: number;
  /** Vectors older than this at clustering time are left out and forgotten (default 5 min). */
  readonly maxAgeMs?: number;
  readonly dimensions?: readonly string[];
  readonly allowedLatenessMs?: number;
}

interface LatestVector { readonly vehicleId: string; readonly bus: string; readonly windowEndMs: number; readonly features: Record<string, number> }

const TIMER_ID = 'cluster';

/** Creates the CAN clustering processor. */
export function createCanClustersProcessor(config: CanClustersConfig = {}): Processor<LatestVector, CanFeatureVector> {
  const period = config.periodMs ?? 60_000;
  const maxAge = config.maxAgeMs ?? 300_000;
  const dims = config.dimensions ?? CAN_FEATURE_DIMENSIONS;
  return {
    name: config.name ?? 'can-clusters',
    inputTopics: [Topics.canFeatures],
    outputTopics: [Topics.canClusters],
    store: 'can-clusters',
    allowedLatenessMs: config.allowedLatenessMs ?? 30_000,
    eventTimeMs: (v) => Number(v.windowEndMs),
    process(store: ReadonlyStore<LatestVector>, record: InputRecord<CanFeatureVector>): ProcessResult<LatestVector> {
      const v = record.value;
      const t = Number(v.windowEndMs);
      const boundary = Math.floor(t / period) * period + period;
      // Keyed by period too: the boundary's timer fires only once the watermark (max event time − lateness) has
      // passed it, when newer vectors have arrived; one latest-per-vehicle slot would hold only those by then.
      const key = `${v.vehicleId}|${v.bus}|${boundary}`;
      const prev = store.get(key);
      if (prev && prev.windowEndMs > t) return {};
      return {
        updates: [{ key, value: { vehicleId: v.vehicleId, bus: v.bus, windowEndMs: t, features: { ...v.features } } }],
        // One timer per period boundary (same id re-registered is a no-op), so a steady stream cannot keep pushing it out.
        timers: [{ kind: 'event-time', id: `${TIMER_ID}|${boundary}`, atMs: boundary }],
      };
    },
    onTimer(store: ReadonlyStore<LatestVector>, timer: FiredTimer, ctx: ProcessorContext): ProcessResult<LatestVector> {
      const at = timer.atMs;
      const updates: StoreUpdate<LatestVector>[] = [];
      // Per vehicle and bus: the latest vector at or before the boundary; older slots are no longer needed.
      const latest = new Map<string, { key: string; v: LatestVector }>();
      const superseded: string[] = [];
      for (const [k, v] of store.entries()) {
        if (v.windowEndMs <= at - maxAge) {
          updates.push({ key: k, value: null });
          continue;
        }
        if (v.windowEndMs > at) continue;
        const link = `${v.vehicleId}|${v.bus}`;
        const cur = latest.get(link);
        if (!cur || v.windowEndMs > cur.v.windowEndMs) {
          if (cur) superseded.push(cur.key);
          latest.set(link, { key: k, v });
        } else superseded.push(k);
      }
      for (const k of superseded) updates.push({ key: k, value: null });
      const fresh = [...latest.values()].map((x) => x.v);
      fresh.sort((a, b) => (a.vehicleId + a.bus < b.vehicleId + b.bus ? -1 : 1)); // store order must not change the result
      const r = clusterFeatureVectors(fresh, { ...config, dimensions: dims });
      const snapshot: CanClusterSnapshot = {
        snapshotId: `p${ctx.partition}-${at}`, partition: ctx.partition, computedAtMs: at, periodMs: period, dimensions: [...dims], k: r.k,
        kChosenBy: r.kChosenBy, silhouette: r.silhouette, vectorCount: r.vectorCount, droppedVectors: r.droppedVectors, means: r.means,
        stdDevs: r.stdDevs, clusters: r.clusters,
      };
      return {
        updates,
        outputs: fresh.length > 0 ? [{ topic: Topics.canClusters, key: 'fleet', value: snapshot }] : [],
      };
    },
  };
}
