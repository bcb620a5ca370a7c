/**
 * What `fmeaflow replay` reports at the end of a recording: the ranked actions as the compacted
 * actions topic would hold them, the drift found per series, the log clusters that appeared,
 * grew or went, the CAN clusters of the last fleet snapshot, and what went late or to the DLQ.
 */
import type { OutputRecord } from './processors/processor.ts';
import type { ReplayResult } from './runtime/replay/replay.ts';
import { ActionBoard, type BoardAction } from './runtime/live/action-board.ts';
import { Topics } from './topic-catalog.ts';

export interface DriftSummary {
  readonly seriesId: string;
  readonly events: number;
  readonly firstWindowStartMs: number;
  readonly maxAbsZ: number | null;
}

export interface LogClusterSummary {
  readonly clusterId: string;
  readonly eventTypes: string[];
  readonly firstWindowStartMs: number;
  readonly keywords: string[];
}

export interface CanClusterSummary {
  readonly clusterId: number;
  readonly size: number;
  readonly memberVehicles: string[];
}

export interface ReplaySummary {
  /** Open actions, best first (the latest record per key, RESOLVED ones left out). */
  readonly actions: BoardAction[];
  readonly drift: DriftSummary[];
  readonly logClusters: LogClusterSummary[];
  /** Clusters of the last CAN snapshot (empty when no snapshot was computed). */
  readonly canClusters: CanClusterSummary[];
  /** Records written per output topic (repartition topics included). */
  readonly outputs: Record<string, number>;
  readonly late: number;
  /** Dead letters per error code. */
  readonly dlq: Record<string, number>;
}

const values = <T>(records: readonly OutputRecord[] | undefined): T[] => (records ?? []).filter((r) => r.value !== null).map((r) => r.value as T);

/** Summarises a replay's outputs. */
export function summarizeReplay(r: ReplayResult): ReplaySummary {
  const board = new ActionBoard();
  for (const rec of r.outputs[Topics.actions] ?? []) board.apply(rec.key, rec.value as BoardAction | null);

  const drift = new Map<string, { seriesId: string; events: number; firstWindowStartMs: number; maxAbsZ: number | null }>();
  for (const d of values<{ seriesId: string; windowStartMs: number; zScore: number | null }>(r.outputs[Topics.drift])) {
    const s = drift.get(d.seriesId) ?? { seriesId: d.seriesId, events: 0, firstWindowStartMs: d.windowStartMs, maxAbsZ: null };
    s.events++;
    s.firstWindowStartMs = Math.min(s.firstWindowStartMs, d.windowStartMs);
    if (typeof d.zScore === 'number' && Number.isFinite(d.zScore)) s.maxAbsZ = Math.max(s.maxAbsZ ?? 0, Math.abs(d.zScore));
    drift.set(d.seriesId, s);
  }

  const clusters = new Map<string, { clusterId: string; eventTypes: string[]; firstWindowStartMs: number; keywords: string[] }>();
  for (const e of values<{ clusterId: string; eventType: string; windowStartMs: number; keywords: string[] }>(r.outputs[Topics.logClustersFleet])) {
    const c = clusters.get(e.clusterId) ?? { clusterId: e.clusterId, eventTypes: [], firstWindowStartMs: e.windowStartMs, keywords: e.keywords.slice(0, 6) };
    if (!c.eventTypes.includes(e.eventType)) c.eventTypes.push(e.eventType);
    c.firstWindowStartMs = Math.min(c.firstWindowStartMs, e.windowStartMs);
    clusters.set(e.clusterId, c);
  }

  type Snapshot = { computedAtMs: number; clusters: { clusterId: number; size: number; memberVehicles: string[] }[] };
  const last = values<Snapshot>(r.outputs[Topics.canClusters]).reduce<Snapshot | undefined>((a, s) => (!a || s.computedAtMs >= a.computedAtMs ? s : a), undefined);

  const dlq: Record<string, number> = {};
  for (const d of values<{ errorCode: string }>(r.dlq)) dlq[d.errorCode] = (dlq[d.errorCode] ?? 0) + 1;

  return {
    actions: [...board.ranked()],
    drift: [...drift.values()].sort((a, b) => a.firstWindowStartMs - b.firstWindowStartMs || (a.seriesId < b.seriesId ? -1 : 1)),
    logClusters: [...clusters.values()].sort((a, b) => a.firstWindowStartMs - b.firstWindowStartMs || (a.clusterId < b.clusterId ? -1 : 1)),
    canClusters: (last?.clusters ?? []).map((c) => ({ clusterId: c.clusterId, size: c.size, memberVehicles: c.memberVehicles })).sort((a, b) => b.size - a.size),
    outputs: Object.fromEntries(Object.entries(r.outputs).map(([topic, records]) => [topic, records.length])),
    late: r.late.length,
    dlq,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The summary as text: the ranked-actions table, then drift, clusters and side outputs (at most `limit` rows each). */
export function renderReplaySummary(s: ReplaySummary, limit = 15): string {
  const board = new ActionBoard();
  for (const a of s.actions) board.apply(a.key, a);
  const more = (n: number): string => (n > limit ? `  … ${n - limit} more (--json lists all)\n` : '');
  let out = `Ranked actions (${s.actions.length})\n${s.actions.length ? `${board.render(limit)}\n` : '  none\n'}${more(s.actions.length)}`;
  out += `\nDrift (${s.drift.length} series)\n`;
  for (const d of s.drift.slice(0, limit)) out += `  ${d.seriesId}: ${d.events} event(s) from ${iso(d.firstWindowStartMs)}${d.maxAbsZ !== null ? `, max |z| ${d.maxAbsZ.toFixed(1)}` : ''}\n`;
  out += more(s.drift.length);
  out += `\nLog clusters, fleet-wide (${s.logClusters.length})\n`;
  for (const c of s.logClusters.slice(0, limit)) out += `  ${c.clusterId} ${c.eventTypes.join('/')} from ${iso(c.firstWindowStartMs)}: ${c.keywords.join(' ')}\n`;
  out += more(s.logClusters.length);
  out += `\nCAN clusters, last snapshot (${s.canClusters.length})\n`;
  for (const c of s.canClusters.slice(0, limit)) out += `  #${c.clusterId}: ${c.size} vector(s), vehicles ${c.memberVehicles.join(', ')}\n`;
  out += more(s.canClusters.length);
  const codes = Object.entries(s.dlq).map(([k, n]) => `${k} ×${n}`).join(', ');
  out += `\n${s.late} late record(s); ${codes ? `dead letters: ${codes}` : 'no dead letters'}\n`;
  return out;
}
