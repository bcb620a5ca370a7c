/**
 * Background training of the log-template encoder. The trainer learns each partition's
 * templates (from the log-cluster processor's changelog, see changelog-templates.ts),
 * and every `intervalMs` retrains a partition that gained at least `minNewTemplates`
 * templates since its last model. Training runs in a worker thread (tensorflow.js is
 * CPU-heavy and must not stall the stream loop); the result is a versioned, hashed
 * EmbeddingModel the processor picks up at its next window close and keeps in its store.
 *
 * Jobs run one at a time: on a small machine a second concurrent training would only
 * take the core the stream loop needs.
 *
 * Every worker follows the whole changelog, but trains only the partitions whose log-cluster
 * task it owns (setOwnedPartitions, fed by the runner's assignments): a model for another
 * worker's partition would never be adopted, and N workers would spend N times the CPU. When a
 * partition moves, the new owner already knows its templates and adopted model version from the
 * changelog, so it trains only once the partition is due.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import client from 'prom-client';
import type { EmbeddingModel, EmbeddingModelSource } from '../../processors/logs/embedding-model.ts';
import { embeddingVersionOf, MAX_EMBEDDING_MODEL_BYTES, modelRecordBytes } from '../../processors/logs/embedding-model.ts';
import { logger, type Logger } from '../observability/logger.ts';
import type { LstmTrainingOptions, TrainedWeights } from './lstm-training.ts';
import { describeBackend } from './tf-backend.ts';

/** When and on what the trainer trains. */
export interface EmbeddingTrainerOptions {
  /** How often partitions are checked for enough new templates. */
  readonly intervalMs: number;
  /** Templates created since the partition's last model before it is retrained. */
  readonly minNewTemplates: number;
  /** A partition with fewer templates is not trained at all (nothing to learn yet). */
  readonly minTemplates: number;
  /** Most recently seen templates a training uses (the sliding window: 500). */
  readonly maxTemplates: number;
  readonly training: Partial<LstmTrainingOptions>;
  /**
   * Largest model record (the JSON the processor's store writes to the changelog as one message) that is offered.
   * ~16/3 bytes per weight plus the vocabulary: 140 KB for 8 templates, 313 KB at the default 1000-token
   * vocabulary, 620 KB with 128 hidden units; long tokens or wider layers can pass the changelog's record limit, and
   * a record the changelog refuses would leave a restart without the model. Default MAX_EMBEDDING_MODEL_BYTES, the
   * bound the processor adopts up to: a larger default would train models the processor refuses.
   */
  readonly maxModelBytes: number;
}

/**
 * Sized for 2 shared cores: on the pure-JS backend 200 templates × 4 epochs took ~95 s of one core
 * (bench/RESULTS.md, logs §3), so a check every 5 minutes, 200 templates, 2 epochs (~45 s a training).
 */
export const DEFAULT_TRAINER_OPTIONS: EmbeddingTrainerOptions = { intervalMs: 300_000, minNewTemplates: 20, minTemplates: 8, maxTemplates: 200, training: { epochs: 2 }, maxModelBytes: MAX_EMBEDDING_MODEL_BYTES };

export { modelRecordBytes };

/** Emitted as 'trained' when a partition has a new model; 'restored' (no payload) when a held trainer is released. */
export interface TrainedEvent {
  readonly partition: number;
  readonly model: EmbeddingModel;
  readonly embeddingVersion: string;
  /** Thread that ran tensorflow (never the main thread's 0). */
  readonly threadId: number;
  readonly ms: number;
}

interface PartitionTemplates {
  readonly templates: Map<number, { tokens: readonly string[]; lastSeenMs: number }>;
  /** Highest template id the newest model (trained here or restored) had seen. */
  maxTrainedId: number;
  version: number;
  offered: EmbeddingModel | undefined;
}

type WorkerReply =
  | { type: 'ready'; backend: string; threadId: number }
  | { type: 'trained'; jobId: number; weights: TrainedWeights; threadId: number; ms: number }
  | { type: 'failed'; jobId: number; message: string; threadId: number };

/** Trains per-partition template encoders off the main thread and offers them to the processor. */
export class EmbeddingTrainer extends EventEmitter implements EmbeddingModelSource {
  readonly options: EmbeddingTrainerOptions;
  private readonly partitions = new Map<number, PartitionTemplates>();
  private readonly log: Logger;
  private worker: Worker | undefined;
  private backendName: string | undefined;
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void }>();
  private nextJob = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private ticker: NodeJS.Timeout | undefined;
  private stopped = false;
  private held = false;
  /** Partitions this worker owns; undefined until an ownership source reports (a lone trainer trains every partition). */
  private owned: ReadonlySet<number> | undefined;
  /** Partitions trainDue has queued and not yet trained. */
  private readonly queued = new Set<number>();
  private readonly metrics: {
    backend: client.Gauge<'backend'>;
    trainings: client.Counter<'backend' | 'outcome'>;
    seconds: client.Histogram<'backend'>;
    version: client.Gauge<'partition' | 'backend'>;
  } | undefined;

  constructor(options: Partial<EmbeddingTrainerOptions> = {}, registry?: client.Registry, log: Logger = logger('log-embeddings')) {
    super();
    this.options = { ...DEFAULT_TRAINER_OPTIONS, ...options };
    this.log = log;
    if (registry) {
      const r = [registry];
      this.metrics = {
        backend: new client.Gauge({ name: 'fmeaflow_log_embedding_backend_info', help: 'tfjs backend the log-template encoder trains on (value 1)', labelNames: ['backend'], registers: r }),
        trainings: new client.Counter({ name: 'fmeaflow_log_embedding_trainings_total', help: 'Encoder trainings, by tfjs backend and outcome (trained, failed, too_large)', labelNames: ['backend', 'outcome'], registers: r }),
        seconds: new client.Histogram({ name: 'fmeaflow_log_embedding_training_seconds', help: 'Wall time of one encoder training (in the worker thread)', labelNames: ['backend'], buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers: r }),
        version: new client.Gauge({ name: 'fmeaflow_log_embedding_model_version', help: 'Version of the newest encoder per partition', labelNames: ['partition', 'backend'], registers: r }),
      };
    }
  }

  /** The tfjs backend the worker thread chose (after start). */
  get backend(): string | undefined {
    return this.backendName;
  }

  /** Starts the worker thread (tfjs backend chosen and logged there) and the periodic check; resolves with the backend. */
  async start(): Promise<string> {
    const worker = spawnTrainingWorker();
    this.worker = worker;
    const ready = new Promise<string>((resolve, reject) => {
      const onMessage = (m: WorkerReply): void => {
        if (m.type === 'ready') {
          resolve(m.backend);
          return;
        }
        this.pending.get(m.jobId)?.resolve(m);
        this.pending.delete(m.jobId);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
    worker.on('error', (err) => this.log.error('embedding training thread failed', { err }));
    worker.on('exit', (code) => {
      for (const p of this.pending.values()) p.resolve({ type: 'failed', jobId: -1, message: `training thread exited with code ${code}`, threadId: -1 });
      this.pending.clear();
    });
    this.backendName = await ready;
    this.log.info(describeBackend(this.backendName), { backend: this.backendName, intervalMs: this.options.intervalMs, minNewTemplates: this.options.minNewTemplates });
    this.metrics?.backend.set({ backend: this.backendName }, 1);
    this.ticker = setInterval(() => void this.trainDue(), this.options.intervalMs);
    this.ticker.unref();
    return this.backendName;
  }

  /**
   * Trains nothing until `restored()`: the changelog follower holds the trainer while it reads the records written
   * before it started, since templates come before the model trained on them and a timer tick in between would
   * retrain from scratch what the processor already has.
   */
  holdUntilRestored(): void {
    this.held = true;
  }

  /** The follower has read the changelog up to where it ended at start: training may begin. */
  restored(): void {
    if (!this.held) return;
    this.held = false;
    this.log.info('log-cluster changelog read; training enabled', { partitions: this.partitions.size });
    this.emit('restored');
  }

  /**
   * The partitions whose log-cluster task this worker owns now; only these are trained. A partition given up loses the
   * model offered for it (its new owner trains and adopts its own), and a training in flight for it is discarded.
   */
  setOwnedPartitions(partitions: Iterable<number>): void {
    const next = new Set(partitions);
    const prev = this.owned;
    if (prev !== undefined && prev.size === next.size && [...next].every((n) => prev.has(n))) return;
    for (const [n, p] of this.partitions) if (!next.has(n)) p.offered = undefined;
    this.owned = next;
    this.log.info('embedding trainer trains owned partitions', { partitions: [...next].sort((a, b) => a - b) });
  }

  /** True when this worker trains `partition` (it owns it, or no ownership was reported). */
  owns(partition: number): boolean {
    return this.owned === undefined || this.owned.has(partition);
  }

  /** A template of a partition as the processor stored it (changelog `tpl:<id>`). */
  observeTemplate(partition: number, id: number, tokens: readonly string[], lastSeenMs: number): void {
    this.partition(partition).templates.set(id, { tokens, lastSeenMs });
  }

  /** The template was evicted (changelog tombstone). */
  forgetTemplate(partition: number, id: number): void {
    this.partitions.get(partition)?.templates.delete(id);
  }

  /** A model the processor adopted (changelog `emb`): later models must have a higher version. */
  observeModel(partition: number, model: EmbeddingModel): void {
    const p = this.partition(partition);
    if (model.version >= p.version) {
      p.version = model.version;
      p.maxTrainedId = Math.max(p.maxTrainedId, model.maxTemplateId ?? 0);
    }
  }

  /** The newest model trained for `partition`, if any (EmbeddingModelSource). */
  latest(partition: number): EmbeddingModel | undefined {
    return this.partitions.get(partition)?.offered;
  }

  /** Trains every owned partition that has enough new templates (what the timer calls). */
  trainDue(): Promise<void> {
    // A partition still queued from an earlier tick is not queued again: a training longer than intervalMs would
    // otherwise repeat, on the same templates, once per tick it spanned.
    const due = [...this.partitions.entries()].filter(([n, p]) => !this.queued.has(n) && this.owns(n) && this.isDue(p)).map(([n]) => n).sort((a, b) => a - b);
    for (const n of due) this.queued.add(n);
    return due.reduce<Promise<void>>((prev, n) => prev.then(() => this.train(n).finally(() => this.queued.delete(n)).then(() => undefined)), Promise.resolve());
  }

  /** Trains `partition` now (if owned and it has templates); resolves with the new model, undefined if skipped or failed. */
  train(partition: number): Promise<EmbeddingModel | undefined> {
    const run = this.chain.then(() => this.trainNow(partition));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer and the worker thread. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private partition(n: number): PartitionTemplates {
    let p = this.partitions.get(n);
    if (p === undefined) this.partitions.set(n, (p = { templates: new Map(), maxTrainedId: 0, version: 0, offered: undefined }));
    return p;
  }

  private isDue(p: PartitionTemplates): boolean {
    if (this.held || p.templates.size < this.options.minTemplates) return false;
    let fresh = 0;
    for (const id of p.templates.keys()) if (id > p.maxTrainedId) fresh++;
    return fresh >= this.options.minNewTemplates;
  }

  private async trainNow(partition: number): Promise<EmbeddingModel | undefined> {
    const p = this.partitions.get(partition);
    if (this.stopped || this.worker === undefined || p === undefined || p.templates.size === 0 || !this.owns(partition)) return undefined;
    // The most recently seen templates, ids breaking ties, so two trainers on the same changelog train on the same set.
    const recent = [...p.templates.entries()]
      .sort((a, b) => b[1].lastSeenMs - a[1].lastSeenMs || a[0] - b[0])
      .slice(0, this.options.maxTemplates);
    const maxTemplateId = Math.max(...p.templates.keys());
    const jobId = this.nextJob++;
    const reply = await new Promise<WorkerReply>((resolve) => {
      this.pending.set(jobId, { resolve });
      this.worker!.postMessage({ jobId, templates: recent.map(([, t]) => t.tokens), options: { ...this.options.training, maxTemplates: this.options.maxTemplates } });
    });
    const backend = this.backendName ?? 'unknown';
    // stop() ended the thread mid-job: a shutdown, not a failed training.
    if (this.stopped) return undefined;
    // Given up while training: the new owner trains it; offering here would only bump a version nobody adopts.
    if (!this.owns(partition)) {
      this.log.info('encoder training discarded: partition no longer owned', { partition });
      return undefined;
    }
    if (reply.type !== 'trained') {
      this.metrics?.trainings.inc({ backend, outcome: 'failed' });
      this.log.error('encoder training failed; the processor keeps its current vectors', { partition, err: reply.type === 'failed' ? reply.message : reply.type });
      return undefined;
    }
    const model: EmbeddingModel = { ...reply.weights, version: p.version + 1, partition, maxTemplateId };
    const bytes = modelRecordBytes(model);
    if (bytes > this.options.maxModelBytes) {
      // Not offered, and not retried before minNewTemplates more templates: the same input would give the same size.
      p.maxTrainedId = maxTemplateId;
      this.metrics?.trainings.inc({ backend, outcome: 'too_large' });
      this.log.error('trained encoder too large for one changelog record; not offered (lower training.maxVocabulary or hiddenUnits)', {
        partition, bytes, maxModelBytes: this.options.maxModelBytes, vocabulary: model.vocabulary.length, hiddenUnits: model.hiddenUnits,
      });
      return undefined;
    }
    p.version = model.version;
    p.maxTrainedId = maxTemplateId;
    p.offered = model;
    this.metrics?.trainings.inc({ backend, outcome: 'trained' });
    this.metrics?.seconds.observe({ backend }, reply.ms / 1000);
    this.metrics?.version.set({ partition: String(partition), backend }, model.version);
    const event: TrainedEvent = { partition, model, embeddingVersion: embeddingVersionOf(model), threadId: reply.threadId, ms: reply.ms };
    this.log.info('encoder trained', { partition, version: model.version, sha: model.sha, bytes, templates: model.trainedOnTemplates, loss: Number(model.finalLoss.toFixed(4)), ms: reply.ms, backend });
    this.emit('trained', event);
    return model;
  }
}

/** Starts the training thread; under tsx (.ts sources) the thread registers tsx's loader before importing the entry. */
function spawnTrainingWorker(): Worker {
  const entry = new URL('./embedding-training-worker.ts', import.meta.url).href;
  const api = import.meta.resolve('tsx/esm/api');
  // Workers do not inherit tsx's --import hooks on Node 20, so the entry is loaded through tsx's register API.
  return new Worker(`import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { eval: true });
}
