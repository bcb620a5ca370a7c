/**
 * Merges the per-partition events of one signature and window into one fleet-wide
 * fmeaflow.log-clusters-fleet.v1 event (partition −1): templates merged by text, vehicle
 * counts, examples and correlated drift merged with the same bounds as per-partition events.
 * Vehicle counts cover what the fleet count covers: the reporting partitions' vehicles and,
 * for per-partition clusters without an event in the window, their vehicles at their level.
 */
import { stableHash } from '../stable-hash.ts';
import { canonicalTemplate } from './cluster-signature.ts';
import type { TrendEventType } from './cluster-trends.ts';
import type { ClusterTemplateOut, CorrelatedDriftOut, LogClusterEvent } from './log-cluster-event.ts';
import type { FleetSnapshot, SourceLevel } from './fleet-cluster-store.ts';

const MAX_TEMPLATES = 50;
const MAX_VEHICLES = 50;
const MAX_EXAMPLES = 5;
const MAX_CORRELATED = 20;
const MAX_KEYWORDS = 5;

/** Partition value of fleet-wide events (documented in schemas/log-cluster-event.avsc). */
export const FLEET_PARTITION = -1;

/** What the reports of one window add up to. */
export interface MergedReports {
  readonly snapshot: FleetSnapshot;
  readonly correlatedDrift: readonly CorrelatedDriftOut[];
}

/** The vehicles behind one fleet count. */
export interface FleetVehicles {
  readonly vehicleCounts: readonly { readonly vehicleId: string; readonly count: number }[];
  readonly vehicleCount: number;
}

/** One report per per-partition cluster: several event types of one cluster in a window carry the same counts. */
export function distinctClusters(reports: readonly LogClusterEvent[]): LogClusterEvent[] {
  const byCluster = new Map<string, LogClusterEvent>();
  for (const r of reports) if (!byCluster.has(`${r.partition}/${r.clusterId}`)) byCluster.set(`${r.partition}/${r.clusterId}`, r);
  return [...byCluster.values()];
}

/** Merges the reports of one window (non-empty). */
export function mergeReports(reports: readonly LogClusterEvent[]): MergedReports {
  const distinct = distinctClusters(reports);
  const templates = new Map<string, { template: string; count: number; ids: string[] }>();
  const keywordScore = new Map<string, number>();
  for (const r of distinct) {
    for (const t of r.templates) {
      const key = canonicalTemplate(t.template);
      const m = templates.get(key) ?? { template: t.template, count: 0, ids: [] };
      m.count += t.count;
      m.ids.push(t.templateId, ...t.mergedTemplateIds);
      templates.set(key, m);
    }
    // Rank keywords by the lines behind them, so the busiest partition's words lead.
    r.keywords.forEach((k, i) => keywordScore.set(k, (keywordScore.get(k) ?? 0) + Math.max(r.count, 1) / (i + 1)));
  }
  const seenDrift = new Set<string>();
  const drift: CorrelatedDriftOut[] = [];
  for (const r of reports) {
    for (const d of r.correlatedDrift) {
      const k = `${d.seriesId}|${d.windowStartMs}|${d.detector}`;
      if (seenDrift.has(k)) continue;
      seenDrift.add(k);
      drift.push(d);
    }
  }
  drift.sort((x, y) => Math.abs(y.zScore ?? 0) - Math.abs(x.zScore ?? 0) || x.seriesId.localeCompare(y.seriesId));
  const seenEx = new Set<string>();
  const examples = reports
    .flatMap((r) => r.examples)
    .filter((e) => {
      const k = `${e.vehicleId}|${e.timestampMs}|${e.text}`;
      if (seenEx.has(k)) return false;
      seenEx.add(k);
      return true;
    })
    .sort((x, y) => y.timestampMs - x.timestampMs || (x.vehicleId < y.vehicleId ? -1 : 1))
    .slice(0, MAX_EXAMPLES);
  const mergedTemplates: ClusterTemplateOut[] = [...templates.entries()]
    .sort((x, y) => y[1].count - x[1].count || (x[0] < y[0] ? -1 : 1))
    .slice(0, MAX_TEMPLATES)
    .map(([key, m]) => ({ templateId: `fleet-t${stableHash(key)}`, template: m.template, count: m.count, mergedTemplateIds: [...new Set(m.ids)].sort() }));
  const first = distinct[0]!;
  return {
    snapshot: {
      templates: mergedTemplates,
      keywords: [...keywordScore.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, MAX_KEYWORDS).map(([k]) => k),
      examples,
      embeddingVersion: first.embeddingVersion,
      clusteringMethod: `${first.clusteringMethod} per partition, merged by template signature`,
    },
    correlatedDrift: drift.slice(0, MAX_CORRELATED),
  };
}

/**
 * Vehicles of a fleet count: those of the reported per-partition clusters (`distinct`, one report each) with their
 * counts, plus those of the quiet ones (active, no event in the window) at their share of the level the count takes
 * for them, so the listed counts add up to the event's count (unless the list is cut).
 */
export function fleetVehicles(distinct: readonly LogClusterEvent[], quiet: readonly SourceLevel[]): FleetVehicles {
  const vehicles = new Map<string, number>();
  // Vehicles a source counted but did not list (its list was cut), so vehicleCount stays a count of vehicles.
  let unlisted = 0;
  for (const r of distinct) {
    for (const v of r.vehicleCounts) vehicles.set(v.vehicleId, (vehicles.get(v.vehicleId) ?? 0) + v.count);
    unlisted += Math.max(0, r.vehicleCount - r.vehicleCounts.length);
  }
  for (const q of quiet) {
    const listed = Object.entries(q.vehicles ?? {});
    for (const [v, n] of listed) vehicles.set(v, (vehicles.get(v) ?? 0) + n);
    unlisted += Math.max(0, (q.vehicleCount ?? listed.length) - listed.length);
  }
  return {
    vehicleCounts: [...vehicles.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, MAX_VEHICLES).map(([vehicleId, count]) => ({ vehicleId, count })),
    vehicleCount: vehicles.size + unlisted,
  };
}

/** Builds one fleet-wide event; `merged` is absent for windows no partition reported (counts are levels only). */
export function buildFleetEvent(input: {
  readonly id: string; readonly type: TrendEventType; readonly startMs: number; readonly endMs: number;
  readonly count: number; readonly baseline: number | null; readonly ratio: number | null;
  readonly snapshot: FleetSnapshot; readonly merged: MergedReports | undefined; readonly vehicles: FleetVehicles;
}): LogClusterEvent {
  const m = input.merged;
  return {
    eventId: `${input.id}:${input.type}:${input.startMs}`,
    clusterId: input.id,
    mergedClusterIds: [],
    eventType: input.type,
    partition: FLEET_PARTITION,
    windowStartMs: input.startMs,
    windowEndMs: input.endMs,
    templates: m ? input.snapshot.templates : input.snapshot.templates.map((t) => ({ ...t, count: 0 })),
    keywords: input.snapshot.keywords,
    count: input.count,
    baselineCount: input.baseline,
    ratio: input.ratio,
    vehicleCount: input.vehicles.vehicleCount,
    vehicleCounts: input.vehicles.vehicleCounts,
    examples: input.snapshot.examples,
    correlatedDrift: m?.correlatedDrift ?? [],
    embeddingVersion: input.snapshot.embeddingVersion,
    clusteringMethod: input.snapshot.clusteringMethod,
  };
}
