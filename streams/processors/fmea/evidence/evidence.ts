/**
 * The normalised evidence the FMEA evaluation matches rule conditions against. Each source
 * topic (log clusters, drift, alerts, canary verdicts, CAN features, CAN clusters) has one
 * adapter file turning its record into Evidence, so a renamed field in another team's
 * schema is a one-file change and the evaluation itself never sees topic shapes.
 */

export type EvidenceKind = 'logCluster' | 'drift' | 'alert' | 'canary' | 'canFeature' | 'canCluster';

interface EvidenceBase {
  readonly kind: EvidenceKind;
  /** Stable identity of what was observed (cluster id, series key, …), used in action evidence summaries. */
  readonly ref: string;
  /** Event time, epoch ms. */
  readonly timeMs: number;
  /** Vehicles this evidence concerns; empty for fleet-level evidence without members. */
  readonly vehicles: readonly string[];
  /** Vehicle model (type/variant) when the source knows it; enables the `model` scope. */
  readonly model?: string;
  readonly traceIds: readonly string[];
}

export interface LogClusterEvidence extends EvidenceBase {
  readonly kind: 'logCluster';
  readonly clusterId: string;
  readonly eventType: 'NEW' | 'RATE_UP' | 'GONE' | 'UPDATE';
  /** Current rate divided by baseline rate, when the source reports it. */
  readonly rateRatio?: number;
  readonly keywords: readonly string[];
  readonly templates: readonly string[];
  /** Example lines (unmasked), so keywords such as a concrete CAN id still match when templates mask it. */
  readonly examples: readonly string[];
}

export interface SeriesEvidence extends EvidenceBase {
  readonly kind: 'drift' | 'alert';
  readonly series: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value?: number;
  readonly zScore?: number;
  readonly detector?: string;
  readonly suppressed: boolean;
}

export interface CanaryEvidence extends EvidenceBase {
  readonly kind: 'canary';
  readonly releaseId: string;
  readonly metric: string;
  readonly verdict: 'pass' | 'marginal' | 'fail';
}

export interface CanFeatureEvidence extends EvidenceBase {
  readonly kind: 'canFeature';
  readonly bus: string;
  readonly features: Readonly<Record<string, number>>;
  readonly dtcCodes: readonly string[];
}

export interface CanClusterEvidence extends EvidenceBase {
  readonly kind: 'canCluster';
  readonly snapshotId: string;
  readonly clusterId: number;
  readonly size: number;
  readonly share: number;
  readonly centroid: Readonly<Record<string, number>>;
  /** Centroid of the largest cluster of the same snapshot ("normal" behaviour). */
  readonly normal: Readonly<Record<string, number>>;
}

export type Evidence = LogClusterEvidence | SeriesEvidence | CanaryEvidence | CanFeatureEvidence | CanClusterEvidence;

/** Turns one decoded topic record into evidence; throws InvalidEvidence on records it cannot read. */
export interface EvidenceAdapter {
  readonly topic: string;
  /** Evidence in the record; empty when the record is not evidence of a failure (e.g. a recovered drift). */
  toEvidence(value: unknown): Evidence[];
  eventTimeMs(value: unknown): number;
}

/** A record an adapter cannot interpret (it goes to the DLQ via the runtime). */
export class InvalidEvidence extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
    this.name = 'InvalidEvidence';
  }
}
