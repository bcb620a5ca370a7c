/**
 * Assembles one log-cluster event from a closed window: the cluster's templates (most
 * frequent first), TF-IDF keywords, recent example lines
 * with trace ids, per-vehicle counts, and the drift events of the same vehicles and time
 * or of the same traces. Pure; bounded output sizes so one event stays a small record.
 */
import { isDrifting, type DriftSummary } from './drift-adapter.ts';
import type { CorrelatedDriftOut, LogClusterEvent } from './log-cluster-event.ts';
import type { ClusterValue, WorkingSet } from './log-store.ts';

const MAX_TEMPLATES_PER_EVENT = 50;
const MAX_VEHICLES_PER_EVENT = 50;
const MAX_EXAMPLES_PER_EVENT = 5;
const MAX_CORRELATED = 20;
const KEYWORDS_PER_CLUSTER = 5;

// Function words carry no meaning for an engineer reading a cluster's keywords.
const STOP_WORDS = new Set(['a', 'an', 'the', 'at', 'by', 'to', 'of', 'in', 'on', 'for', 'is', 'was', 'are', 'be', 'after', 'from', 'with', 'and', 'or', 'not', 'no', 'got', 'as', 'it']);

/** A token as a keyword: punctuation trimmed; masks, numbers and function words give none. */
export function keywordOf(token: string): string | undefined {
  if (token.includes('<')) return undefined;
  const k = token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  if (k.length < 2 || /^\d+$/.test(k) || STOP_WORDS.has(k.toLowerCase())) return undefined;
  return k;
}

/** Top TF-IDF keywords of a cluster's templates (masks, numbers, punctuation and function words excluded). */
export function topKeywords(templates: readonly (readonly string[])[], ws: WorkingSet): string[] {
  const score = new Map<string, number>();
  for (const t of templates) {
    for (const [tok, w] of ws.tfidf.weights(t)) {
      const k = keywordOf(tok);
      if (k !== undefined) score.set(k, (score.get(k) ?? 0) + w);
    }
  }
  return [...score.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, KEYWORDS_PER_CLUSTER)
    .map(([k]) => k);
}

/** Everything one event is built from. */
export interface ClusterEventInput {
  readonly partition: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly cluster: ClusterValue;
  readonly type: LogClusterEvent['eventType'];
  readonly count: number;
  readonly baseline: number | null;
  readonly ratio: number | null;
  /** This window's counts of the cluster, per vehicle and per template (absent when it had no lines). */
  readonly window: { readonly vehicles: ReadonlyMap<string, number>; readonly templates: ReadonlyMap<number, number> } | undefined;
  readonly ws: WorkingSet;
  readonly drift: readonly { readonly items: readonly DriftSummary[] }[];
  readonly mergedClusterIds: readonly string[];
  readonly correlationSlackMs: number;
  readonly embeddingVersion: string;
  readonly clusteringMethod: string;
}

/** Builds the fmeaflow.log-clusters.v1 value: templates, examples, per-vehicle counts and correlated drift. */
export function buildClusterEvent(input: ClusterEventInput): LogClusterEvent {
  const { partition, cluster: cl, type, count, baseline, ratio, window: b, ws, drift, mergedClusterIds } = input;
  const start = input.startMs;
  const end = input.endMs;
  const templates = cl.templateIds
    .map((t) => ({ t, n: b?.templates.get(t) ?? 0 }))
    .sort((x, y) => y.n - x.n || x.t - y.t)
    .slice(0, MAX_TEMPLATES_PER_EVENT)
    .map(({ t, n }) => ({
      templateId: `p${partition}-t${t}`,
      template: ws.miner.get(t)?.tokens.join(' ') ?? '',
      count: n,
      // Ids merged into this template (template-miner.ts): evidence recorded under them continues under this one.
      mergedTemplateIds: (ws.miner.get(t)?.aliases ?? []).map((a) => `p${partition}-t${a}`),
    }));
  const vehicles = [...(b?.vehicles ?? new Map<string, number>()).entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
  const examples = cl.templateIds
    .flatMap((t) => ws.examples.get(t) ?? [])
    .sort((x, y) => y.timestampMs - x.timestampMs)
    .slice(0, MAX_EXAMPLES_PER_EVENT)
    .map((e) => ({ text: e.text, vehicleId: e.vehicleId, service: e.service, traceId: e.traceId, timestampMs: e.timestampMs }));
  const vehicleSet = new Set(vehicles.map(([v]) => v));
  const traceSet = new Set(examples.map((e) => e.traceId).filter((t): t is string => t !== null));
  const lo = start - input.correlationSlackMs;
  const hi = end + input.correlationSlackMs;
  const correlated: CorrelatedDriftOut[] = [];
  const seen = new Set<string>();
  for (const d of drift) {
    for (const x of d.items) {
      // A recovered or re-baselined series is the opposite of evidence that this cluster goes with a drift.
      if (!isDrifting(x)) continue;
      const byVehicle = x.vehicleId !== null && vehicleSet.has(x.vehicleId) && x.windowEndMs >= lo && x.windowStartMs <= hi;
      const byTrace = x.traceIds.some((t) => traceSet.has(t));
      if (!byVehicle && !byTrace) continue;
      const k = `${x.seriesId}|${x.windowStartMs}|${x.detector}`;
      if (seen.has(k)) continue;
      seen.add(k);
      correlated.push({
        seriesId: x.seriesId, name: x.name, vehicleId: x.vehicleId, detector: x.detector, value: Number.isFinite(x.value) ? x.value : 0,
        zScore: x.zScore, windowStartMs: x.windowStartMs, windowEndMs: x.windowEndMs, matchedBy: byVehicle ? 'VEHICLE' : 'TRACE',
      });
    }
  }
  correlated.sort((x, y) => Math.abs(y.zScore ?? 0) - Math.abs(x.zScore ?? 0) || x.seriesId.localeCompare(y.seriesId));
  return {
    eventId: `${cl.id}:${type}:${start}`,
    clusterId: cl.id,
    mergedClusterIds: [...mergedClusterIds],
    eventType: type,
    partition,
    windowStartMs: start,
    windowEndMs: end,
    templates,
    keywords: cl.keywords,
    count,
    baselineCount: baseline,
    ratio,
    vehicleCount: vehicles.length,
    vehicleCounts: vehicles.slice(0, MAX_VEHICLES_PER_EVENT).map(([vehicleId, n]) => ({ vehicleId, count: n })),
    examples,
    correlatedDrift: correlated.slice(0, MAX_CORRELATED),
    embeddingVersion: input.embeddingVersion,
    clusteringMethod: input.clusteringMethod,
  };
}
