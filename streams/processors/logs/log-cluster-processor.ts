/**
 * The log-clustering processor: vehicle.logs.v1 lines → templates (Drain) → template
 * vectors (sliding TF-IDF ⊕ optional learned code, projected to 128 dims) → clusters
 * (DBSCAN or K-means, stable ids) → per-window trend events on fmeaflow.log-clusters.v1,
 * each carrying the drift events (fmeaflow.drift.v1) of the same vehicles and time.
 *
 * Drift events come either from `ctx.globals` (fmeaflow.drift.v1 is keyed by seriesId, so it is
 * not co-partitioned with the logs) or, with `driftSource: 'input'`, as a co-partitioned input.
 * Counts, templates and cluster ids are per input partition ("fleet-wide" = the partition's vehicles).
 *
 * The hot path per line is sanitise → mask → tree walk → a few store writes; vectors,
 * clustering and trends run once per window when its event-time timer fires. The
 * learned encoder's weights come from the runtime's background trainer (an
 * EmbeddingModelSource); the processor adopts a newer model at a window close, keeps it in
 * its store, and asks it only for codes of templates it has not encoded before.
 */
import { FmeaflowError, ErrorCodes } from '../../errors.ts';
import { Topics } from '../../topic-catalog.ts';
import type { FiredTimer, InputRecord, OutputRecord, ProcessResult, Processor, ProcessorContext, ProcessorEvent, ReadonlyStore, StoreUpdate, TimerRequest } from '../processor.ts';
import { DEFAULT_TREND_OPTIONS, INITIAL_TREND, evaluateTrend, type TrendOptions } from './cluster-trends.ts';
import { toDriftSummary, type DriftSummary } from './drift-adapter.ts';
import { LOG_CLUSTER_EVENT, type LogClusterEvent } from './log-cluster-event.ts';
import { buildClusterEvent, topKeywords } from './cluster-event-builder.ts';
import {
  StoreKeys, metaOf, rebuildWorkingSet, type ClusterValue, type ExampleLine, type LogStoreValue, type WindowCountValue, type WorkingSet,
} from './log-store.ts';
import { sanitizeLine } from './line-sanitizer.ts';
import { DEFAULT_MASKING, maskLine, type MaskingOptions } from './masking.ts';
import { DEFAULT_TFIDF_OPTIONS, type SlidingTfidfOptions } from './sliding-tfidf.ts';
import { DEFAULT_CLUSTERING, groupVectors, matchClusterIds, type ClusteringOptions } from './template-clustering.ts';
import { isEmbeddingModel, LstmCodeEncoder, MAX_EMBEDDING_MODEL_BYTES, modelRecordBytes, type EmbeddingModel, type EmbeddingModelSource } from './embedding-model.ts';
import type { TemplateEncoder } from './template-encoder.ts';
import { DEFAULT_MINER_OPTIONS, type TemplateMinerOptions } from './template-miner.ts';
import { TemplateVectorizer, type VectorizerOptions } from './template-vectorizer.ts';

/** Everything the lead can tune when wiring the processor. */
export interface LogClusterConfig {
  /** Tumbling event-time window of counts and trends. */
  readonly windowMs: number;
  readonly allowedLatenessMs: number;
  /** A window is evaluated this long (event time) after it ends, so drift events of the same window — which detectors emit later — are there to correlate. */
  readonly closeDelayMs: number;
  /** Lines longer than this are cut and marked (<TRUNCATED>). */
  readonly maxLineChars: number;
  readonly exampleChars: number;
  readonly examplesPerTemplate: number;
  /**
   * Most (template, vehicle) count rows one open window holds. Templates are capped by the miner, but a flood's
   * evicted templates leave their rows behind until the window closes; beyond this, lines are counted as
   * windowRowOverflowLines instead of getting a row.
   */
  readonly maxWindowRows: number;
  readonly miner: Partial<TemplateMinerOptions>;
  readonly masking: MaskingOptions;
  readonly tfidf: Partial<SlidingTfidfOptions>;
  readonly vectorizer: Partial<VectorizerOptions>;
  readonly clustering: ClusteringOptions;
  readonly trends: TrendOptions;
  /** Drift summaries older than this (before the window start) are dropped. */
  readonly driftRetentionMs: number;
  /** A drift window within this distance of the log window counts as the same time. */
  readonly correlationSlackMs: number;
  readonly maxDriftPerVehicle: number;
  /**
   * How drift events reach the processor. 'global': read from `ctx.globals` (the runtime keeps the latest
   * event per seriesId of fmeaflow.drift.v1 for every worker) — works with drift keyed by seriesId.
   * 'input': consumed as a second input topic and kept per vehicle in the store — needs drift keyed
   * (co-partitioned) by vehicle id, e.g. through a repartition topic.
   */
  readonly driftSource: 'global' | 'input';
  /**
   * Where newly trained encoder models come from (the runtime's background trainer). null disables learned codes:
   * vectors are the TF-IDF projection alone, even if the store holds a model from an earlier run.
   */
  readonly embeddings: EmbeddingModelSource | null;
  /**
   * Largest model record (modelRecordBytes) the processor adopts. The model goes to the changelog as one record, and
   * one the changelog refuses would leave the store holding weights a restart cannot restore; a larger model is
   * rejected (embeddingModelsRejected) and the partition keeps its current encoder.
   */
  readonly maxEmbeddingModelBytes: number;
  /** Turns a model into an encoder (default: the plain-JS LSTM forward pass); tests substitute instrumented ones. */
  readonly encoderOf: (model: EmbeddingModel) => TemplateEncoder;
}

/** Defaults: one-minute windows, Drain defaults from the Loghub benchmark, DBSCAN. */
export const DEFAULT_LOG_CLUSTER_CONFIG: LogClusterConfig = {
  windowMs: 60_000,
  allowedLatenessMs: 30_000,
  closeDelayMs: 15_000,
  maxLineChars: 4096,
  exampleChars: 512,
  examplesPerTemplate: 3,
  maxWindowRows: 50_000,
  miner: DEFAULT_MINER_OPTIONS,
  masking: DEFAULT_MASKING,
  tfidf: DEFAULT_TFIDF_OPTIONS,
  vectorizer: {},
  clustering: DEFAULT_CLUSTERING,
  trends: DEFAULT_TREND_OPTIONS,
  driftRetentionMs: 10 * 60_000,
  correlationSlackMs: 60_000,
  maxDriftPerVehicle: 100,
  driftSource: 'global',
  embeddings: null,
  maxEmbeddingModelBytes: MAX_EMBEDDING_MODEL_BYTES,
  encoderOf: (model) => new LstmCodeEncoder(model),
};

/** Name of the processor, its store and consumer-group suffix. */
export const LOG_CLUSTER_PROCESSOR_NAME = 'log-clusters';

const MAX_CACHED_CODES = 10_000;
const MAX_CACHED_ENCODERS = 8;

/** Outcome of one clustering pass: members per cluster id, ids that are new, and old ids merged into each survivor. */
interface Reclustering {
  readonly members: Map<string, number[]>;
  readonly created: Set<string>;
  readonly absorbed: Map<string, string[]>;
}

/** Decoded vehicle.logs.v1 value (schemas/log-record.avsc). */
interface LogLine {
  readonly vehicleId: string;
  readonly service: string;
  readonly body: string | Uint8Array;
  readonly timestampMs: number;
  readonly traceId: string | null;
  readonly samplingRate: number;
}

function asLogLine(value: unknown, record: { topic: string; partition: number; offset: string }): LogLine {
  const fail = (field: string, why: string): never => {
    throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `${record.topic}[${record.partition}]@${record.offset}: field ${field} ${why}`, {
      details: { topic: record.topic, partition: record.partition, offset: record.offset, field },
    });
  };
  if (value === null || typeof value !== 'object') return fail('value', 'is not a LogRecord');
  const v = value as Record<string, unknown>;
  const vehicleId = v['vehicleId'];
  if (typeof vehicleId !== 'string' || vehicleId.length === 0) fail('vehicleId', 'is missing or empty');
  const body = v['body'];
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) fail('body', 'is not a string');
  const ts = typeof v['timestampMs'] === 'bigint' ? Number(v['timestampMs']) : v['timestampMs'];
  if (typeof ts !== 'number' || !Number.isFinite(ts)) fail('timestampMs', 'is not a finite number');
  const sr = typeof v['samplingRate'] === 'number' && v['samplingRate'] > 0 && v['samplingRate'] <= 1 ? v['samplingRate'] : 1;
  const traceId = typeof v['traceId'] === 'string' && v['traceId'].length > 0 ? v['traceId'] : null;
  return { vehicleId: vehicleId as string, service: typeof v['service'] === 'string' ? v['service'] : '', body: body as string | Uint8Array, timestampMs: ts as number, traceId, samplingRate: sr };
}

/** Creates the log-clustering processor (one instance serves every partition of the worker). */
export function createLogClusterProcessor(config: Partial<LogClusterConfig> = {}): Processor<LogStoreValue, unknown> {
  const cfg: LogClusterConfig = { ...DEFAULT_LOG_CLUSTER_CONFIG, ...config };
  const minerOptions = { ...DEFAULT_MINER_OPTIONS, ...cfg.miner };
  const tfidfOptions = { ...DEFAULT_TFIDF_OPTIONS, ...cfg.tfidf };
  const vectorizer = new TemplateVectorizer(cfg.vectorizer);
  const working = new Map<number, WorkingSet>();
  // Codes depend only on (encoder version, template tokens): a cache, never state.
  const codes = new Map<string, number[]>();
  // Decoded weights per model sha (one per partition in use, plus the one being replaced).
  const encoders = new Map<string, TemplateEncoder>();
  // Sha of the offered model last refused per partition: counted once, and a multi-MB model is not re-measured every window.
  const refused = new Map<number, string>();
  const clusteringLabel =
    cfg.clustering.method === 'dbscan' ? `dbscan(eps=${cfg.clustering.epsilon},minPts=${cfg.clustering.minPoints})` : `kmeans(k=${cfg.clustering.k},seed=${cfg.clustering.seed})`;

  function workingSet(store: ReadonlyStore<LogStoreValue>, partition: number): WorkingSet {
    const meta = store.get(StoreKeys.meta);
    const storeSeq = meta?.kind === 'meta' ? meta.seq : 0;
    const storeLast = meta?.kind === 'meta' ? meta.lastInput : '';
    let ws = working.get(partition);
    if (ws === undefined || ws.seq !== storeSeq || ws.lastInput !== storeLast) {
      ws = rebuildWorkingSet(store, minerOptions, tfidfOptions);
      working.set(partition, ws);
    }
    return ws;
  }

  function commitMeta(ws: WorkingSet, updates: StoreUpdate<LogStoreValue>[], input: string): void {
    ws.seq++;
    ws.lastInput = input;
    updates.push({ key: StoreKeys.meta, value: metaOf(ws) });
  }

  function processDrift(store: ReadonlyStore<LogStoreValue>, record: InputRecord<unknown>): ProcessResult<LogStoreValue> {
    const ws = workingSet(store, record.partition);
    const updates: StoreUpdate<LogStoreValue>[] = [];
    const d = toDriftSummary(record.value, record.key);
    if (d === undefined) {
      ws.counters.driftRejected++;
    } else {
      ws.counters.driftRecords++;
      const key = StoreKeys.drift(d.vehicleId);
      const prev = store.get(key);
      const items = [...(prev?.kind === 'drift' ? prev.items : []), d].slice(-cfg.maxDriftPerVehicle);
      updates.push({ key, value: { kind: 'drift', items } });
    }
    commitMeta(ws, updates, `${record.topic}@${record.offset}`);
    return { updates };
  }

  function processLog(store: ReadonlyStore<LogStoreValue>, record: InputRecord<unknown>): ProcessResult<LogStoreValue> {
    const line = asLogLine(record.value, record);
    const ws = workingSet(store, record.partition);
    const c = ws.counters;
    const updates: StoreUpdate<LogStoreValue>[] = [];
    const s = sanitizeLine(line.body, cfg.maxLineChars);
    c.lines++;
    c.replacementChars += s.replacementChars;
    if (s.truncated) c.truncatedLines++;
    if (s.binary) c.binaryLines++;
    if (s.empty) {
      c.emptyLines++;
      commitMeta(ws, updates, `${record.topic}@${record.offset}`);
      return { updates };
    }
    const t = record.eventTimeMs;
    const res = ws.miner.add(maskLine(s.text, cfg.masking), t);
    const id = res.templateId;
    if (res.merged !== undefined) {
      // The merged id lives on as an alias in the survivor's record: open windows' counts under it still resolve.
      const gone = ws.examples.get(res.merged.from) ?? [];
      ws.examples.delete(res.merged.from);
      ws.examples.set(res.merged.into, [...(ws.examples.get(res.merged.into) ?? []), ...gone].sort((a, b) => a.timestampMs - b.timestampMs).slice(-cfg.examplesPerTemplate));
      updates.push({ key: StoreKeys.template(res.merged.from), value: null });
    }
    if (res.split !== undefined) {
      // Children start with their own counts and an origin; the parent (kept for other values) stops tracking that position.
      for (const child of [res.split.from, ...res.split.into]) {
        const record = ws.miner.get(child);
        if (record !== undefined) updates.push({ key: StoreKeys.template(child), value: { kind: 'template', record, examples: ws.examples.get(child) ?? [] } });
      }
    }
    let examples = ws.examples.get(id) ?? [];
    if (res.evictedId !== undefined) {
      ws.examples.delete(res.evictedId);
      updates.push({ key: StoreKeys.template(res.evictedId), value: null });
      c.templateEvictions = ws.miner.evictions;
    }
    const start = Math.floor(t / cfg.windowMs) * cfg.windowMs;
    // Examples refresh at most once per template and window (plus the first line with a trace id): enough to
    // show what the cluster looks like now, without rewriting the template on every line.
    const newest = examples[examples.length - 1];
    const wantExample =
      examples.length < cfg.examplesPerTemplate ||
      newest === undefined ||
      newest.timestampMs < start ||
      (line.traceId !== null && !examples.some((e) => e.traceId !== null));
    if (wantExample) {
      const example: ExampleLine = { text: s.text.slice(0, cfg.exampleChars), vehicleId: line.vehicleId, service: line.service, traceId: line.traceId, timestampMs: t };
      examples = [...examples, example].sort((a, b) => a.timestampMs - b.timestampMs).slice(-cfg.examplesPerTemplate);
      ws.examples.set(id, examples);
    }
    if (wantExample || res.change !== 'none' || res.merged !== undefined) {
      updates.push({ key: StoreKeys.template(id), value: { kind: 'template', record: ws.miner.get(id)!, examples } });
    }

    const wkey = StoreKeys.window(start, id, line.vehicleId);
    const prev = store.get(wkey);
    const rows = ws.windowRows.get(start) ?? 0;
    if (prev === undefined && rows >= cfg.maxWindowRows) {
      c.windowRowOverflowLines += 1 / line.samplingRate;
    } else {
      if (prev === undefined) ws.windowRows.set(start, rows + 1);
      const before = prev?.kind === 'window' ? prev.count : 0;
      updates.push({ key: wkey, value: { kind: 'window', startMs: start, templateId: id, vehicleId: line.vehicleId, count: before + 1 / line.samplingRate } });
    }
    commitMeta(ws, updates, `${record.topic}@${record.offset}`);
    // One timer request per window and working set; after a rebuild the set is empty and the (idempotent) request repeats.
    if (ws.timersRequested.has(start)) return { updates };
    ws.timersRequested.add(start);
    if (ws.timersRequested.size > 64) ws.timersRequested.delete(ws.timersRequested.values().next().value as number);
    const timers: TimerRequest[] = [{ kind: 'event-time', id: `close:${start}`, atMs: start + cfg.windowMs + cfg.closeDelayMs, payload: { startMs: start } }];
    return { updates, timers };
  }

  function closeWindow(store: ReadonlyStore<LogStoreValue>, partition: number, start: number, ctx: ProcessorContext): ProcessResult<LogStoreValue> {
    const ws = workingSet(store, partition);
    const end = start + cfg.windowMs;
    const updates: StoreUpdate<LogStoreValue>[] = [];
    const prefix = StoreKeys.windowPrefix(start);
    const windowRows: WindowCountValue[] = [];
    const drift: { key: string; items: readonly DriftSummary[] }[] = [];
    for (const [key, v] of store.entries()) {
      if (v.kind === 'window' && key.startsWith(prefix)) windowRows.push(v);
      else if (v.kind === 'drift') drift.push({ key, items: v.items });
    }
    const globalDrift: DriftSummary[] = [];
    if (cfg.driftSource === 'global') {
      for (const [key, value] of ctx.globals.table(Topics.drift)) {
        const d = toDriftSummary(value, key);
        if (d !== undefined) globalDrift.push(d);
      }
    }
    windowRows.sort((a, b) => a.templateId - b.templateId || (a.vehicleId < b.vehicleId ? -1 : a.vehicleId > b.vehicleId ? 1 : 0));

    // Template membership before re-clustering, for counts of templates evicted meanwhile.
    const ownerBefore = new Map<number, string>();
    for (const cl of ws.clusters.values()) for (const t of cl.templateIds) ownerBefore.set(t, cl.id);

    const perTemplate = new Map<number, Map<string, number>>();
    const orphanCounts: { clusterId: string; vehicleId: string; count: number }[] = [];
    ws.windowRows.delete(start);
    for (const row of windowRows) {
      updates.push({ key: StoreKeys.window(start, row.templateId, row.vehicleId), value: null });
      const live = ws.miner.resolve(row.templateId);
      if (live === undefined) {
        const owner = ownerBefore.get(row.templateId);
        if (owner !== undefined) orphanCounts.push({ clusterId: owner, vehicleId: row.vehicleId, count: row.count });
        else ws.counters.unattributedLines += row.count;
        continue;
      }
      const m = perTemplate.get(live) ?? new Map<string, number>();
      m.set(row.vehicleId, (m.get(row.vehicleId) ?? 0) + row.count);
      perTemplate.set(live, m);
    }
    // Checkpoint count and last-seen of every template seen in this window.
    for (const id of perTemplate.keys()) {
      const record = ws.miner.get(id);
      if (record !== undefined) updates.push({ key: StoreKeys.template(id), value: { kind: 'template', record, examples: ws.examples.get(id) ?? [] } });
    }

    // Sliding TF-IDF: drop evicted templates, (re)observe this window's templates with their current text.
    for (const id of ws.tfidf.documentIds()) if (ws.miner.get(id) === undefined) ws.tfidf.forget(id);
    for (const id of [...perTemplate.keys()].sort((a, b) => a - b)) ws.tfidf.observe(id, ws.miner.get(id)!.tokens);
    const docIds = ws.tfidf.documentIds();
    const idPrefix = `p${partition}-c`;
    const encoder = encoderForWindow(store, ws, partition, updates);
    const fingerprint = `${ws.tfidf.version}|${encoder?.version ?? 'tfidf'}`;
    const clustered = new Set<number>();
    for (const cl of ws.clusters.values()) for (const t of cl.templateIds) clustered.add(t);
    const unchanged = ws.clusteredFingerprint === fingerprint && docIds.every((id) => clustered.has(id));
    const { members, created, absorbed } = unchanged ? keepClusters(ws) : recluster(ws, docIds, idPrefix, encoder);
    ws.clusteredFingerprint = fingerprint;

    const clusterOfTemplate = new Map<number, string>();
    for (const [cid, ts] of members) for (const t of ts) clusterOfTemplate.set(t, cid);
    const totals = new Map<string, { count: number; vehicles: Map<string, number>; templates: Map<number, number> }>();
    const bucket = (cid: string) => {
      let b = totals.get(cid);
      if (b === undefined) totals.set(cid, (b = { count: 0, vehicles: new Map(), templates: new Map() }));
      return b;
    };
    for (const [tid, veh] of perTemplate) {
      const cid = clusterOfTemplate.get(tid);
      if (cid === undefined) {
        // More distinct templates in one window than the TF-IDF window holds (a flood): the overflow is counted, not clustered.
        for (const n of veh.values()) ws.counters.unattributedLines += n;
        continue;
      }
      const b = bucket(cid);
      for (const [v, n] of veh) {
        b.count += n;
        b.vehicles.set(v, (b.vehicles.get(v) ?? 0) + n);
        b.templates.set(tid, (b.templates.get(tid) ?? 0) + n);
      }
    }
    for (const o of orphanCounts) {
      if (!members.has(o.clusterId)) {
        ws.counters.unattributedLines += o.count;
        continue;
      }
      const b = bucket(o.clusterId);
      b.count += o.count;
      b.vehicles.set(o.vehicleId, (b.vehicles.get(o.vehicleId) ?? 0) + o.count);
    }

    const windowsClosed = ws.counters.windowsClosed;
    const outputs: OutputRecord<LogClusterEvent>[] = [];
    const events: ProcessorEvent[] = [];
    const nextClusters = new Map<string, ClusterValue>();
    const seqOf = (cid: string) => Number(cid.slice(idPrefix.length));
    const sortedIds = [...members.keys()].sort((a, b) => seqOf(a) - seqOf(b));
    for (const cid of sortedIds) {
      const templateIds = [...members.get(cid)!].sort((a, b) => a - b);
      const old = ws.clusters.get(cid);
      const isNew = created.has(cid) || old === undefined;
      const oldIds = old === undefined ? [] : [...new Set(old.templateIds.map((t) => ws.miner.resolve(t) ?? -1))].filter((t) => t >= 0).sort((a, b) => a - b);
      const mergedClusterIds = absorbed.get(cid) ?? [];
      const compositionChanged = !isNew && (oldIds.join(',') !== templateIds.join(',') || mergedClusterIds.length > 0);
      const b = totals.get(cid);
      const count = b?.count ?? 0;
      const { next, events: trendEvents } = evaluateTrend(old?.trend ?? INITIAL_TREND, count, { isNew, compositionChanged, windowsClosed }, cfg.trends);
      const keywords = topKeywords(templateIds.map((t) => ws.miner.get(t)?.tokens ?? []), ws);
      const value: ClusterValue = { kind: 'cluster', id: cid, seq: seqOf(cid), templateIds, keywords, createdWindowStartMs: old?.createdWindowStartMs ?? start, trend: next };
      nextClusters.set(cid, value);
      updates.push({ key: StoreKeys.cluster(value.seq), value });
      for (const e of trendEvents) {
        events.push({ kind: LOG_CLUSTER_EVENT, level: 'debug', message: `log cluster ${cid} ${e.type}`, details: { type: e.type, clusterId: cid } });
        outputs.push({
          topic: Topics.logClusters,
          key: cid,
          value: buildClusterEvent({
            partition, startMs: start, endMs: end, cluster: value, type: e.type, count, baseline: e.baseline, ratio: e.ratio, window: b, ws,
            drift: [...drift, { items: globalDrift }], mergedClusterIds, correlationSlackMs: cfg.correlationSlackMs,
            embeddingVersion: encoder?.version ?? 'tfidf', clusteringMethod: clusteringLabel,
          }),
        });
      }
    }
    for (const cid of ws.clusters.keys()) if (!nextClusters.has(cid)) updates.push({ key: StoreKeys.cluster(seqOf(cid)), value: null });
    ws.clusters = nextClusters;

    // Drift older than the retention cannot correlate with any window still to close.
    for (const d of drift) {
      const kept = d.items.filter((x) => x.windowEndMs >= start - cfg.driftRetentionMs);
      if (kept.length !== d.items.length) updates.push({ key: d.key, value: kept.length === 0 ? null : { kind: 'drift', items: kept } });
    }
    ws.counters.windowsClosed++;
    ws.counters.eventsEmitted += outputs.length;
    updates.push({ key: StoreKeys.tfidf, value: { kind: 'tfidf', snapshot: ws.tfidf.snapshot() } });
    commitMeta(ws, updates, `timer:close:${start}`);
    // Chain the next window so a silent partition still ages its clusters (GONE) as the watermark moves.
    const timers: TimerRequest[] = [{ kind: 'event-time', id: `close:${end}`, atMs: end + cfg.windowMs + cfg.closeDelayMs, payload: { startMs: end } }];
    return { updates, outputs, timers, events };
  }

  /**
   * The encoder this window's vectors use: the stored model, or a newer one the trainer offers (adopted into the
   * store, so the changelog carries the weights and a restart continues with the same codes).
   */
  function encoderForWindow(store: ReadonlyStore<LogStoreValue>, ws: WorkingSet, partition: number, updates: StoreUpdate<LogStoreValue>[]): TemplateEncoder | null {
    if (cfg.embeddings === null) return null;
    const stored = store.get(StoreKeys.embedding);
    const current = stored?.kind === 'embedding' && isEmbeddingModel(stored.model) ? stored.model : undefined;
    const offered = cfg.embeddings.latest(partition);
    if (offered !== undefined && (current === undefined || offered.version > current.version) && refused.get(partition) !== offered.sha) {
      // Too large for one changelog record, or weights that do not decode: not adopted, the partition keeps the vectors it has.
      const enc = isEmbeddingModel(offered) && modelRecordBytes(offered) <= cfg.maxEmbeddingModelBytes ? encoderOf(offered) : undefined;
      if (enc !== undefined) {
        refused.delete(partition);
        updates.push({ key: StoreKeys.embedding, value: { kind: 'embedding', model: offered } });
        return enc;
      }
      refused.set(partition, offered.sha);
      ws.counters.embeddingModelsRejected++;
    }
    return current === undefined ? null : (encoderOf(current) ?? null);
  }

  function encoderOf(model: EmbeddingModel): TemplateEncoder | undefined {
    let enc = encoders.get(model.sha);
    if (enc === undefined) {
      try {
        enc = cfg.encoderOf(model);
      } catch {
        return undefined;
      }
      if (encoders.size >= MAX_CACHED_ENCODERS) encoders.delete(encoders.keys().next().value as string);
      encoders.set(model.sha, enc);
    }
    return enc;
  }

  /** Clusters the TF-IDF window's templates afresh and maps the groups onto the previous cluster ids. */
  function recluster(ws: WorkingSet, docIds: readonly number[], idPrefix: string, encoder: TemplateEncoder | null): Reclustering {
    const docTokens = docIds.map((id) => ws.miner.get(id)!.tokens);
    // Learned codes only for templates this encoder version has not seen.
    let docCodes: (number[] | undefined)[] = docIds.map(() => undefined);
    if (encoder !== null) {
      const keyOf = (tokens: readonly string[]) => `${encoder.version}\u0000${tokens.join(' ')}`;
      const missing = docTokens.filter((t) => !codes.has(keyOf(t)));
      if (missing.length > 0) {
        const fresh = encoder.encode(missing);
        missing.forEach((t, i) => {
          if (codes.size >= MAX_CACHED_CODES) codes.delete(codes.keys().next().value as string);
          codes.set(keyOf(t), fresh[i]!);
        });
      }
      docCodes = docTokens.map((t) => codes.get(keyOf(t)));
    }
    const vectors = docTokens.map((t, i) => vectorizer.vector(ws.tfidf.weights(t), docCodes[i]));
    const groups = groupVectors(vectors, cfg.clustering).map((g) => g.map((i) => docIds[i]!));

    // Stable ids: previous membership restricted to the templates being re-clustered.
    const inWindow = new Set(docIds);
    const previous = new Map<string, number[]>();
    const outside = new Map<string, number[]>();
    const claimed = new Set<number>();
    for (const cl of ws.clusters.values()) {
      const resolved = [...new Set(cl.templateIds.map((t) => ws.miner.resolve(t)).filter((t): t is number => t !== undefined))];
      const inside = resolved.filter((t) => inWindow.has(t));
      if (inside.length > 0) previous.set(cl.id, inside);
      outside.set(cl.id, resolved.filter((t) => !inWindow.has(t) && !claimed.has(t)));
      for (const t of resolved) claimed.add(t);
    }
    const match = matchClusterIds(groups, previous, ws.nextClusterSeq, idPrefix);
    ws.nextClusterSeq = match.nextSeq;
    const members = new Map<string, number[]>();
    for (const [cid, ts] of outside) if (ts.length > 0) members.set(cid, [...ts]);
    match.ids.forEach((cid, gi) => members.set(cid, [...(members.get(cid) ?? []), ...groups[gi]!]));
    const absorbed = new Map<string, string[]>();
    for (const [gone, into] of match.absorbedBy) absorbed.set(into, [...(absorbed.get(into) ?? []), gone]);
    return { members, created: new Set(match.created), absorbed };

  }

  /** Current membership, resolved to live templates (used when the clustering inputs did not change). */
  function keepClusters(ws: WorkingSet): Reclustering {
    const members = new Map<string, number[]>();
    const claimed = new Set<number>();
    for (const cl of ws.clusters.values()) {
      const live = [...new Set(cl.templateIds.map((t) => ws.miner.resolve(t)).filter((t): t is number => t !== undefined && !claimed.has(t)))];
      for (const t of live) claimed.add(t);
      if (live.length > 0) members.set(cl.id, live);
    }
    return { members, created: new Set(), absorbed: new Map() };
  }

  return {
    name: LOG_CLUSTER_PROCESSOR_NAME,
    inputTopics: cfg.driftSource === 'input' ? [Topics.logs, Topics.drift] : [Topics.logs],
    ...(cfg.driftSource === 'global' ? { globalTopics: [Topics.drift] } : {}),
    outputTopics: [Topics.logClusters],
    store: LOG_CLUSTER_PROCESSOR_NAME,
    allowedLatenessMs: cfg.allowedLatenessMs,
    eventTimeMs(value: unknown, topic: string): number {
      // Throwing here sends the record to the dead-letter topic with INVALID_RECORD instead of guessing a time.
      if (topic === Topics.drift) {
        const d = toDriftSummary(value);
        if (d === undefined) throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `${topic}: drift event without windowEndMs/windowStartMs`, { details: { topic, field: 'windowEndMs' } });
        return d.windowEndMs;
      }
      const ts = (value as { timestampMs?: unknown } | null)?.timestampMs;
      if (typeof ts === 'number' && Number.isFinite(ts)) return ts;
      if (typeof ts === 'bigint') return Number(ts);
      throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `${topic}: field timestampMs is not a number of epoch ms`, { details: { topic, field: 'timestampMs' } });
    },
    process(store: ReadonlyStore<LogStoreValue>, record: InputRecord<unknown>, _ctx: ProcessorContext): ProcessResult<LogStoreValue> {
      return record.topic === Topics.drift ? processDrift(store, record) : processLog(store, record);
    },
    onTimer(store: ReadonlyStore<LogStoreValue>, timer: FiredTimer, ctx: ProcessorContext): ProcessResult<LogStoreValue> {
      const start = Number(timer.payload?.['startMs'] ?? timer.id.slice('close:'.length));
      if (!Number.isFinite(start)) return {};
      return closeWindow(store, timer.partition, start, ctx);
    },
  };
}
