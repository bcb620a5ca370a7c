/**
 * The fleet-wide log-cluster stage: per-partition events of fmeaflow.log-clusters.v1, re-keyed
 * by cluster signature (cluster-signature.ts) through a repartition topic, summed per signature
 * and event-time window into fleet clusters `fleet-<signature>` with their own EWMA trend, and
 * emitted as NEW / RATE_UP / GONE on fmeaflow.log-clusters-fleet.v1 (partition −1).
 *
 * Window close: an event's time is its window end. Per-partition processors close their windows
 * at different moments (partition lag), so a fleet window closes only when the watermark — largest
 * event time seen minus `skewMs` (the allowed lateness) — is past its end; an event still later
 * than that goes to the late topic rather than changing an emitted window.
 *
 * Counts: per-partition processors emit only when something happens, so a window's fleet count is
 * the sum of the counts reported for it plus, for per-partition clusters active but silent in it,
 * their last level (see SourceLevel); its vehicle counts likewise list those clusters' vehicles at their
 * share of that level, so they add up to the count. Fleet GONE needs every partition's cluster GONE, which each
 * partition already waited for, hence a default of one zero window.
 */
import { Topics } from '../../topic-catalog.ts';
import type { FiredTimer, InputRecord, OutputRecord, Processor, ProcessResult, ReadonlyStore, StoreUpdate, TimerRequest } from '../processor.ts';
import { clusterSignature, fleetClusterId } from './cluster-signature.ts';
import { DEFAULT_TREND_OPTIONS, INITIAL_TREND, evaluateTrend, type TrendOptions, type TrendState } from './cluster-trends.ts';
import {
  FleetStoreKeys, sourceKey, zeroFleetCounters, type FleetClusterValue, type FleetCounters, type FleetMetaValue, type FleetStoreValue, type FleetWindowValue, type SourceLevel,
} from './fleet-cluster-store.ts';
import { buildFleetEvent, distinctClusters, fleetVehicles, mergeReports } from './fleet-event-builder.ts';
import type { LogClusterEvent } from './log-cluster-event.ts';
import { clusterEventTimeMs, readLogClusterEvent } from './log-cluster-event-reader.ts';

/** Knobs of the fleet stage. */
export interface FleetLogClusterConfig {
  /** Window of the per-partition processors (their windows are aligned to it). */
  readonly windowMs: number;
  /** How far (event time) one partition's events may trail another's and still be counted. */
  readonly skewMs: number;
  /** Fleet trend knobs; alpha should match the per-partition processors' (it turns their events into levels). */
  readonly trends: TrendOptions;
  /** A fleet cluster no partition reported for this many windows, and with no active partition, is deleted. */
  readonly expireAfterWindows: number;
}

/** Defaults: one-minute windows, one window of partition skew. */
export const DEFAULT_FLEET_LOG_CLUSTER_CONFIG: FleetLogClusterConfig = {
  windowMs: 60_000,
  skewMs: 60_000,
  // No warm-up: per-partition processors already learn start-up clusters silently.
  trends: { ...DEFAULT_TREND_OPTIONS, goneAfterWindows: 1, warmupWindows: 0 },
  expireAfterWindows: 60,
};

/** Name of the processor, its store and consumer-group suffix. */
export const FLEET_LOG_CLUSTER_PROCESSOR_NAME = 'log-clusters-fleet';

/** Windows one timer may catch up on (an idle store partition); older ones are skipped. */
const MAX_CATCH_UP_WINDOWS = 10_000;

/**
 * A reporting cluster's level after its event, split over the vehicles of the event in proportion to their counts
 * (an event without lines keeps the previous split, rescaled).
 */
function levelAfter(prev: SourceLevel | undefined, r: LogClusterEvent, level: number): SourceLevel {
  const from = r.count > 0 ? r.vehicleCounts.map((v) => [v.vehicleId, v.count] as const) : Object.entries(prev?.vehicles ?? {});
  const total = r.count > 0 ? r.count : (prev?.level ?? 0);
  const vehicles = total > 0 ? Object.fromEntries(from.map(([v, n]) => [v, (n * level) / total])) : {};
  return { level, active: true, vehicles, vehicleCount: r.count > 0 ? r.vehicleCount : (prev?.vehicleCount ?? from.length) };
}

/** Creates the fleet log-cluster processor. */
export function createFleetLogClusterProcessor(config: Partial<FleetLogClusterConfig> = {}): Processor<FleetStoreValue, unknown> {
  const cfg: FleetLogClusterConfig = { ...DEFAULT_FLEET_LOG_CLUSTER_CONFIG, ...config };
  const w = cfg.windowMs;

  const metaOf = (store: ReadonlyStore<FleetStoreValue>): FleetMetaValue => {
    const m = store.get(FleetStoreKeys.meta);
    return m?.kind === 'meta' ? m : { kind: 'meta', lastClosedStartMs: null, counters: zeroFleetCounters() };
  };
  const closeTimer = (startMs: number, endMs: number): TimerRequest => ({ kind: 'event-time', id: `close:${startMs}`, atMs: endMs + 1, payload: { startMs } });

  function process(store: ReadonlyStore<FleetStoreValue>, record: InputRecord<unknown>): ProcessResult<FleetStoreValue> {
    const ev = readLogClusterEvent(record.value, `${record.topic}[${record.partition}]@${record.offset}`);
    const meta = metaOf(store);
    const counters: FleetCounters = { ...meta.counters, eventsIn: meta.counters.eventsIn + 1 };
    const updates: StoreUpdate<FleetStoreValue>[] = [];
    const done = (): ProcessResult<FleetStoreValue> => ({ updates: [...updates, { key: FleetStoreKeys.meta, value: { ...meta, counters } }] });
    if (meta.lastClosedStartMs !== null && ev.windowStartMs <= meta.lastClosedStartMs) {
      counters.eventsAfterClose++;
      return done();
    }
    const sig = clusterSignature(ev);
    const key = FleetStoreKeys.window(ev.windowStartMs, sig);
    const prev = store.get(key);
    const reports = prev?.kind === 'window' ? prev.reports : [];
    if (reports.some((r) => r.eventId === ev.eventId)) {
      counters.duplicateEvents++;
      return done();
    }
    const value: FleetWindowValue = { kind: 'window', signature: sig, startMs: ev.windowStartMs, endMs: ev.windowEndMs, reports: [...reports, ev] };
    updates.push({ key, value });
    return { ...done(), timers: [closeTimer(ev.windowStartMs, ev.windowEndMs)] };
  }

  /** Folds one window into one fleet cluster; returns the new value (undefined = expired) and its events. */
  function foldWindow(c: FleetClusterValue | undefined, sig: string, startMs: number, endMs: number, reports: readonly LogClusterEvent[]): { value: FleetClusterValue | undefined; outputs: LogClusterEvent[] } {
    const distinct = distinctClusters(reports);
    const reported = new Set(distinct.map((r) => sourceKey(r.partition, r.clusterId)));
    const quiet = Object.entries(c?.sources ?? {}).filter(([k, s]) => s.active && !reported.has(k)).map(([, s]) => s);
    const count = distinct.reduce((a, r) => a + r.count, 0) + quiet.reduce((a, s) => a + s.level, 0);
    const isNew = c === undefined && reports.some((r) => r.eventType === 'NEW');
    let trend: TrendState = c?.trend ?? INITIAL_TREND;
    if (c === undefined && !isNew) {
      // First seen through RATE_UP/UPDATE/GONE: the partitions knew it already, so start from their baselines.
      const base = distinct.reduce((a, r) => a + (r.baselineCount ?? 0), 0);
      if (distinct.some((r) => r.baselineCount !== null)) trend = { baseline: base, windows: cfg.trends.minBaselineWindows, zeroStreak: 0, lastActiveBaseline: base, gone: false };
    }
    const { next, events } = evaluateTrend(trend, count, { isNew, compositionChanged: false, windowsClosed: Number.MAX_SAFE_INTEGER }, cfg.trends);
    const sources: Record<string, SourceLevel> = { ...(c?.sources ?? {}) };
    for (const r of reports) for (const m of r.mergedClusterIds) delete sources[sourceKey(r.partition, m)];
    for (const r of distinct) {
      const types = reports.filter((x) => x.partition === r.partition && x.clusterId === r.clusterId).map((x) => x.eventType);
      const k = sourceKey(r.partition, r.clusterId);
      if (types.includes('GONE')) sources[k] = { level: 0, active: false };
      else sources[k] = levelAfter(sources[k], r, r.baselineCount === null ? r.count : cfg.trends.alpha * r.count + (1 - cfg.trends.alpha) * r.baselineCount);
    }
    const merged = reports.length > 0 ? mergeReports(reports) : undefined;
    const snapshot = merged?.snapshot ?? c?.snapshot ?? { templates: [], keywords: [], examples: [], embeddingVersion: 'tfidf', clusteringMethod: '' };
    const id = fleetClusterId(sig);
    const outputs = events
      .filter((e) => e.type !== 'UPDATE')
      .map((e) => buildFleetEvent({ id, type: e.type, startMs, endMs, count, baseline: e.baseline, ratio: e.ratio, snapshot, merged, vehicles: fleetVehicles(distinct, quiet) }));
    const lastReport = reports.length > 0 ? startMs : (c?.lastReportWindowStartMs ?? startMs);
    const anyActive = Object.values(sources).some((s) => s.active);
    if (!anyActive && startMs - lastReport >= cfg.expireAfterWindows * w) return { value: undefined, outputs };
    return {
      value: { kind: 'cluster', signature: sig, id, trend: next, createdWindowStartMs: c?.createdWindowStartMs ?? startMs, lastWindowStartMs: startMs, lastReportWindowStartMs: lastReport, sources, snapshot },
      outputs,
    };
  }

  function onTimer(store: ReadonlyStore<FleetStoreValue>, timer: FiredTimer): ProcessResult<FleetStoreValue> {
    const upTo = Number(timer.payload?.['startMs'] ?? timer.id.slice('close:'.length));
    if (!Number.isFinite(upTo)) return {};
    const meta = metaOf(store);
    if (meta.lastClosedStartMs !== null && upTo <= meta.lastClosedStartMs) return {};
    const clusters = new Map<string, FleetClusterValue>();
    const partials = new Map<number, FleetWindowValue[]>();
    for (const [, v] of store.entries()) {
      if (v.kind === 'cluster') clusters.set(v.signature, v);
      else if (v.kind === 'window' && v.startMs <= upTo) partials.set(v.startMs, [...(partials.get(v.startMs) ?? []), v]);
    }
    // Windows to close, in order: every window since the last closed one while a cluster is live, plus every window with events.
    const starts = new Set<number>(partials.keys());
    starts.add(upTo);
    const from = meta.lastClosedStartMs === null ? upTo : Math.max(meta.lastClosedStartMs + w, upTo - MAX_CATCH_UP_WINDOWS * w);
    const live = (): boolean => [...clusters.values()].some((c) => !c.trend.gone || Object.values(c.sources).some((s) => s.active));
    const updates: StoreUpdate<FleetStoreValue>[] = [];
    const outputs: OutputRecord<LogClusterEvent>[] = [];
    const counters: FleetCounters = { ...meta.counters };
    const closeOne = (s: number): void => {
      const windowParts = partials.get(s) ?? [];
      const bySig = new Map(windowParts.map((p) => [p.signature, p]));
      const sigs = [...new Set([...clusters.keys(), ...bySig.keys()])].sort();
      for (const sig of sigs) {
        const part = bySig.get(sig);
        const c = clusters.get(sig);
        if (c !== undefined && c.lastWindowStartMs >= s) {
          // Already folded (a window older than the last closed one): its events cannot change an emitted window.
          if (part !== undefined) {
            updates.push({ key: FleetStoreKeys.window(s, sig), value: null });
            counters.eventsAfterClose += part.reports.length;
          }
          continue;
        }
        const { value, outputs: evs } = foldWindow(c, sig, s, part?.endMs ?? s + w, part?.reports ?? []);
        if (part !== undefined) updates.push({ key: FleetStoreKeys.window(s, sig), value: null });
        if (value === undefined) {
          clusters.delete(sig);
          if (c !== undefined) counters.clustersExpired++;
          updates.push({ key: FleetStoreKeys.cluster(sig), value: null });
        } else {
          clusters.set(sig, value);
          updates.push({ key: FleetStoreKeys.cluster(sig), value });
        }
        for (const e of evs) outputs.push({ topic: Topics.logClustersFleet, key: e.clusterId, value: e });
      }
      counters.windowsClosed++;
    };
    for (const s of [...starts].filter((x) => x < from).sort((a, b) => a - b)) closeOne(s);
    for (let s = from; s <= upTo; s += w) if (starts.has(s) || live()) closeOne(s);
    counters.eventsEmitted += outputs.length;
    // Store updates are applied in order: the last value per key wins.
    updates.push({ key: FleetStoreKeys.meta, value: { kind: 'meta', lastClosedStartMs: upTo, counters } });
    // Chain the next window while a cluster is live, so it ages (and goes GONE) as the watermark moves on.
    const timers = live() ? [closeTimer(upTo + w, upTo + 2 * w)] : [];
    return { updates, outputs, timers };
  }

  return {
    name: FLEET_LOG_CLUSTER_PROCESSOR_NAME,
    inputTopics: [Topics.logClusters],
    outputTopics: [Topics.logClustersFleet],
    store: FLEET_LOG_CLUSTER_PROCESSOR_NAME,
    allowedLatenessMs: cfg.skewMs,
    eventTimeMs: (value, topic) => clusterEventTimeMs(value, topic),
    process: (store, record) => process(store, record),
    onTimer: (store, timer) => onTimer(store, timer),
  };
}
