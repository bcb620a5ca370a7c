/** The adapter of every evidence topic, looked up by topic name. */
import { alertAdapter } from './from-alert.ts';
import { canaryAdapter } from './from-canary-verdict.ts';
import { canClusterAdapter } from './from-can-cluster-snapshot.ts';
import { canFeatureAdapter } from './from-can-feature-vector.ts';
import { driftAdapter } from './from-drift-event.ts';
import { logClusterAdapter } from './from-log-cluster-event.ts';
import type { EvidenceAdapter } from './evidence.ts';

/** All adapters, keyed by their source topic. */
export const EVIDENCE_ADAPTERS: ReadonlyMap<string, EvidenceAdapter> = new Map(
  [logClusterAdapter, driftAdapter, alertAdapter, canaryAdapter, canFeatureAdapter, canClusterAdapter].map((a) => [a.topic, a]),
);
