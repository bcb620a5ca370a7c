/**
 * Adapter for `fmeaflow.can-clusters.v1` (schema owned here). One snapshot becomes one
 * evidence per cluster; each carries as `normal` the centroid of the largest OTHER cluster (the
 * rest of the fleet it is compared with; itself when it is the only one), so rules can say
 * "0x7F share > 0.67 while the normal cluster's < 0.05" without knowing label numbers. Taking
 * the largest cluster overall would make a fault on half the fleet its own "normal".
 */
import { Topics } from '../../../topic-catalog.ts';
import { asObject, num, numMap, str, strList, timeMs } from './fields.ts';
import type { CanClusterEvidence, EvidenceAdapter } from './evidence.ts';

/** Adapter: CAN cluster snapshot → one evidence per cluster. */
export const canClusterAdapter: EvidenceAdapter = {
  topic: Topics.canClusters,
  eventTimeMs: (v) => timeMs(asObject(v), ['computedAtMs']),
  toEvidence(v) {
    const o = asObject(v);
    const snapshotId = str(o, 'snapshotId');
    const t = timeMs(o, ['computedAtMs']);
    const clusters = Array.isArray(o['clusters']) ? (o['clusters'] as unknown[]).map(asObject) : [];
    if (clusters.length === 0) return [];
    return clusters.map((c): CanClusterEvidence => {
      const clusterId = num(c, 'clusterId');
      const others = clusters.filter((x) => x !== c);
      const largestOther = others.length === 0 ? c : others.reduce((a, b) => (num(b, 'size') > num(a, 'size') ? b : a));
      const normal = numMap(largestOther, 'centroid');
      return {
        kind: 'canCluster', ref: `${snapshotId}#${clusterId}`, timeMs: t, vehicles: strList(c, 'memberVehicles'), traceIds: [],
        snapshotId, clusterId, size: num(c, 'size'), share: num(c, 'share'), centroid: numMap(c, 'centroid'), normal,
      };
    });
  },
};
