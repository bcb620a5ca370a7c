/**
 * The value written to fmeaflow.log-clusters.v1, mirroring schemas/log-cluster-event.avsc
 * field for field (nullable unions as plain `T | null`, as avsc reads and writes them).
 */
import type { CorrelationReason, DriftSummary } from './drift-adapter.ts';
import type { TrendEventType } from './cluster-trends.ts';

/** One template inside a cluster event. */
export interface ClusterTemplateOut {
  readonly templateId: string;
  readonly template: string;
  readonly count: number;
  readonly mergedTemplateIds: readonly string[];
}

/** A correlated drift event inside a cluster event. */
export type CorrelatedDriftOut = Omit<DriftSummary, 'traceIds' | 'phase'> & { readonly matchedBy: CorrelationReason };

/** Processor-event kind of one published trend event (NEW, RATE_UP, …); the runtime counts them by type. */
export const LOG_CLUSTER_EVENT = 'logs.cluster.event';

/** fmeaflow.log-clusters.v1 value. */
export interface LogClusterEvent {
  readonly eventId: string;
  readonly clusterId: string;
  readonly mergedClusterIds: readonly string[];
  readonly eventType: TrendEventType;
  readonly partition: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly templates: readonly ClusterTemplateOut[];
  readonly keywords: readonly string[];
  readonly count: number;
  readonly baselineCount: number | null;
  readonly ratio: number | null;
  readonly vehicleCount: number;
  readonly vehicleCounts: readonly { readonly vehicleId: string; readonly count: number }[];
  readonly examples: readonly {
    readonly text: string;
    readonly vehicleId: string;
    readonly service: string;
    readonly traceId: string | null;
    readonly timestampMs: number;
  }[];
  readonly correlatedDrift: readonly CorrelatedDriftOut[];
  readonly embeddingVersion: string;
  readonly clusteringMethod: string;
}
