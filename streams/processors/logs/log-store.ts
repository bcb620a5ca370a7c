/**
 * Layout of the log-cluster processor's state store, and the in-memory working set
 * derived from it. The store is the truth (it is what the changelog restores); the
 * working set — the Drain tree, the TF-IDF window, cluster records — is rebuilt from it
 * whenever the store's sequence number is not the one the working set last wrote, so a
 * restart or an aborted transaction can never leave the two disagreeing.
 *
 * Keys: `meta` (sequence, id counters, line counters), `tfidf`, `emb` (the adopted encoder weights),
 * `tpl:<id>` (one template + recent examples), `cl:<seq>` (one cluster),
 * `win:<startMs>:<templateId>:<vehicleId>` (count of a template from a vehicle in an open window),
 * `drift:<vehicleId|*>` (recent drift summaries for correlation).
 */
import type { ReadonlyStore } from '../processor.ts';
import type { DriftSummary } from './drift-adapter.ts';
import type { EmbeddingModel } from './embedding-model.ts';
import type { TrendState } from './cluster-trends.ts';
import { SlidingTfidf, type SlidingTfidfOptions, type TfidfSnapshot } from './sliding-tfidf.ts';
import { TemplateMiner, type TemplateMinerOptions, type TemplateRecord } from './template-miner.ts';

/** Counters a dashboard wants; every line that is repaired or dropped shows up here. */
export interface LogCounters {
  lines: number;
  emptyLines: number;
  truncatedLines: number;
  binaryLines: number;
  replacementChars: number;
  templateEvictions: number;
  /** Window counts whose template was evicted before the window closed and belonged to no cluster. */
  unattributedLines: number;
  /** Lines not counted in their window because it already held `maxWindowRows` (template, vehicle) rows (a flood). */
  windowRowOverflowLines: number;
  driftRecords: number;
  driftRejected: number;
  /** Offered encoder models whose weights did not decode (not adopted). */
  embeddingModelsRejected: number;
  windowsClosed: number;
  eventsEmitted: number;
}

/** Counters of bad or unusual input, as the `kind` label of fmeaflow_log_input_lines. */
export const LOG_INPUT_COUNTERS: Readonly<Partial<Record<keyof LogCounters, string>>> = {
  emptyLines: 'empty',
  binaryLines: 'binary',
  truncatedLines: 'truncated',
  replacementChars: 'replacement_chars',
  templateEvictions: 'template_evictions',
  unattributedLines: 'unattributed',
  windowRowOverflowLines: 'window_overflow',
  driftRejected: 'drift_rejected',
  embeddingModelsRejected: 'embedding_models_rejected',
};

/** A zeroed counter set. */
export function zeroCounters(): LogCounters {
  return {
    lines: 0, emptyLines: 0, truncatedLines: 0, binaryLines: 0, replacementChars: 0, templateEvictions: 0,
    unattributedLines: 0, windowRowOverflowLines: 0, driftRecords: 0, driftRejected: 0, embeddingModelsRejected: 0, windowsClosed: 0, eventsEmitted: 0,
  };
}

/** A recent line kept as an example of its template. */
export interface ExampleLine {
  readonly text: string;
  readonly vehicleId: string;
  readonly service: string;
  readonly traceId: string | null;
  readonly timestampMs: number;
}

/** `meta`: sequence of the last write plus id counters. */
export interface MetaValue {
  readonly kind: 'meta';
  readonly seq: number;
  /** What the write at `seq` handled (`<topic>@<offset>` or `timer:<id>`): with seq it identifies the history, so a
   * working set built on one history is never mistaken for a store that took another (rebalance after an abort). */
  readonly lastInput: string;
  readonly nextTemplateId: number;
  readonly nextClusterSeq: number;
  readonly counters: LogCounters;
}

/** `tpl:<id>`: written when the template is created or changes text, when its examples change, and at every window close it was seen in (count and last-seen are checkpointed then). */
export interface TemplateValue {
  readonly kind: 'template';
  readonly record: TemplateRecord;
  readonly examples: readonly ExampleLine[];
}

/** `tfidf`: the sliding document window. */
export interface TfidfValue {
  readonly kind: 'tfidf';
  readonly snapshot: TfidfSnapshot;
}

/** `cl:<seq>`: one cluster with its templates and trend state. */
export interface ClusterValue {
  readonly kind: 'cluster';
  readonly id: string;
  readonly seq: number;
  readonly templateIds: readonly number[];
  readonly keywords: readonly string[];
  readonly createdWindowStartMs: number;
  readonly trend: TrendState;
}

/** `win:<startMs>:<templateId>:<vehicleId>`: sampling-scaled count of one template from one vehicle (one small value per line write). */
export interface WindowCountValue {
  readonly kind: 'window';
  readonly startMs: number;
  readonly templateId: number;
  readonly vehicleId: string;
  readonly count: number;
}

/** `drift:<vehicleId|*>`: recent drift summaries. */
export interface DriftValue {
  readonly kind: 'drift';
  readonly items: readonly DriftSummary[];
}

/** `emb`: the encoder model the partition's vectors use (restored with the store, so a restart keeps its codes). */
export interface EmbeddingValue {
  readonly kind: 'embedding';
  readonly model: EmbeddingModel;
}

/** Every value the store holds. */
export type LogStoreValue = MetaValue | TemplateValue | TfidfValue | ClusterValue | WindowCountValue | DriftValue | EmbeddingValue;

/** Store keys. */
export const StoreKeys = {
  meta: 'meta',
  tfidf: 'tfidf',
  embedding: 'emb',
  template: (id: number) => `tpl:${id}`,
  cluster: (seq: number) => `cl:${seq}`,
  windowPrefix: (startMs: number) => `win:${startMs}:`,
  window: (startMs: number, templateId: number, vehicleId: string) => `win:${startMs}:${templateId}:${vehicleId}`,
  drift: (vehicleId: string | null) => `drift:${vehicleId ?? '*'}`,
} as const;

/** The derived working set of one partition. */
export interface WorkingSet {
  seq: number;
  lastInput: string;
  nextClusterSeq: number;
  counters: LogCounters;
  miner: TemplateMiner;
  examples: Map<number, readonly ExampleLine[]>;
  tfidf: SlidingTfidf;
  clusters: Map<string, ClusterValue>;
  /** TF-IDF version + encoder version of the last clustering; unchanged inputs need no re-clustering (memory only). */
  clusteredFingerprint: string | undefined;
  /** Window starts whose close timer this working set already requested (memory only). */
  timersRequested: Set<number>;
  /** `win:` rows per open window start (derived from the store: what bounds a flood's rows). */
  windowRows: Map<number, number>;
}

/** Rebuilds the working set from the store (start-up, restart, or after a rolled-back write). */
export function rebuildWorkingSet(
  store: ReadonlyStore<LogStoreValue>,
  minerOptions: Partial<TemplateMinerOptions>,
  tfidfOptions: Partial<SlidingTfidfOptions>,
): WorkingSet {
  let meta: MetaValue | undefined;
  let tfidf: TfidfSnapshot | undefined;
  const templates: TemplateValue[] = [];
  const clusters = new Map<string, ClusterValue>();
  const windowRows = new Map<number, number>();
  for (const [, v] of store.entries()) {
    switch (v.kind) {
      case 'window': windowRows.set(v.startMs, (windowRows.get(v.startMs) ?? 0) + 1); break;
      case 'meta': meta = v; break;
      case 'tfidf': tfidf = v.snapshot; break;
      case 'template': templates.push(v); break;
      case 'cluster': clusters.set(v.id, v); break;
      default: break;
    }
  }
  // LRU order is least recently seen first; ids break ties so every rebuild is identical.
  templates.sort((a, b) => a.record.lastSeenMs - b.record.lastSeenMs || a.record.id - b.record.id);
  const counters = { ...zeroCounters(), ...(meta?.counters ?? {}) };
  const miner = TemplateMiner.restore(
    { nextId: meta?.nextTemplateId ?? 1, evictions: counters.templateEvictions, templates: templates.map((t) => t.record) },
    minerOptions,
  );
  return {
    seq: meta?.seq ?? 0,
    lastInput: meta?.lastInput ?? '',
    nextClusterSeq: meta?.nextClusterSeq ?? 1,
    counters,
    miner,
    examples: new Map(templates.map((t) => [t.record.id, t.examples])),
    tfidf: tfidf === undefined ? new SlidingTfidf(tfidfOptions) : SlidingTfidf.restore(tfidf, tfidfOptions),
    clusters: new Map([...clusters.entries()].sort((a, b) => a[1].seq - b[1].seq)),
    clusteredFingerprint: undefined,
    timersRequested: new Set(),
    windowRows,
  };
}

/** The meta value describing `ws` (written with every change). */
export function metaOf(ws: WorkingSet): MetaValue {
  return { kind: 'meta', seq: ws.seq, lastInput: ws.lastInput, nextTemplateId: ws.miner.snapshotNextId(), nextClusterSeq: ws.nextClusterSeq, counters: { ...ws.counters } };
}

/** Line counters of one partition's store (for /metrics). */
export function readLogCounters(store: ReadonlyStore<LogStoreValue>): LogCounters {
  const m = store.get(StoreKeys.meta);
  return m?.kind === 'meta' ? { ...zeroCounters(), ...m.counters } : zeroCounters();
}
