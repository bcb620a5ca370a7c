/**
 * Runs one processor under a Kafka consumer group. Per fetched partition batch it
 * decodes, runs the partition's task, and commits outputs, changelog writes and the
 * input offset together: in one transaction (exactly-once) or as send-then-commit
 * (at-least-once). A failed or aborted commit drops the partition's in-memory state and
 * rewinds to the last committed offset, so nothing is ever half applied.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Admin, Consumer, Message, Producer, TopicMessages } from 'kafkajs';
import { asFmeaflowError, ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { GlobalTables, Processor } from '../../processors/processor.ts';
import type { KafkaClient } from './client.ts';
import type { TopicCodec } from './topic-codec.ts';
import { readToEnd } from './topic-reader.ts';
import type { GlobalsFreshness } from './global-table-reader.ts';
import { PartitionTask, type SideTopics, type TaskDrain, type TaskInput } from '../state/partition-task.ts';
import { parseJsonWithBytes, stringifyWithBytes } from '../serde/json-bytes.ts';
import type { RuntimeMetrics } from '../observability/metrics.ts';
import { logger, type Logger } from '../observability/logger.ts';
import { reportProcessorEvents } from '../observability/processor-events.ts';
import { spanTraceparent, startBatchSpan } from '../observability/tracing.ts';
import { CHANGELOG_MAX_MESSAGE_BYTES, chunked, MAX_RECORD_BYTES, messageBytes } from './send-chunks.ts';
import { redactText } from '../observability/redact.ts';

/** exactly-once: one transaction per batch; at-least-once: outputs first, then offsets (duplicates possible after a crash). */
export type DeliveryMode = 'exactly-once' | 'at-least-once';

export interface RunnerConfig {
  readonly app: string;
  readonly instanceId: string;
  readonly processor: Processor<any, any>;
  readonly kafka: KafkaClient;
  readonly codec: TopicCodec;
  readonly metrics: RuntimeMetrics;
  readonly globals: GlobalTables;
  /** Makes global tables current before a batch is processed (read-your-writes across topics); none = no wait. */
  readonly globalsFreshness?: GlobalsFreshness;
  /** Bound on that wait (ms, default 5000); after it the batch proceeds and the timeout is counted. */
  readonly globalsTimeoutMs?: number;
  readonly mode: DeliveryMode;
  readonly side: SideTopics;
  readonly changelog: string;
  readonly sessionTimeoutMs?: number;
  /** How often wall-clock timers are checked on idle partitions (ms, default 1000). */
  readonly wallClockTickMs?: number;
  /** Where a group without committed offsets starts: 'earliest' (default) or 'latest' (demos that ignore older runs). */
  readonly startFrom?: 'earliest' | 'latest';
}

/** Emitted after every successful commit. */
export interface CommitEvent {
  readonly processor: string;
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
  /** Offset committed (next to read), or undefined for timer-only commits. */
  readonly nextOffset: string | undefined;
}

/** Heartbeat at least this often while a batch is processed (by time: a slow processor must not outlive its session). */
const HEARTBEAT_EVERY_MS = 1000;
/** Pause before re-reading a partition whose batch failed on an unreachable outside service. */
const RETRIABLE_BACKOFF_MS = 1000;
/** A dead-lettered record keeps at most this much of its value (the DLQ topic has the broker's 1 MiB limit too). */
const DLQ_RAW_BYTES = 64 * 1024;

function tooLarge(topic: string, size: number, limit: number): FmeaflowError {
  return new FmeaflowError(ErrorCodes.RECORD_TOO_LARGE, `record for ${topic} is ${size} bytes, over the ${limit}-byte limit; it is dead-lettered (value cut to ${DLQ_RAW_BYTES} bytes) instead of failing the batch`, { details: { topic, size, limit } });
}

const CONCURRENT_TXN_RETRY_MS = [10, 20, 50, 100, 200, 400, 800, 1600];

/**
 * Runs a transactional call, retrying the broker's CONCURRENT_TRANSACTIONS answer. Right after
 * EndTxn the coordinator is still writing the previous transaction's markers and refuses
 * AddOffsetsToTxn/AddPartitionsToTxn until done. kafkajs retries AddPartitionsToTxn inside
 * sendBatch but sends AddOffsetsToTxn once, so without this a batch with no outputs (offsets
 * are its first transactional request) was aborted and rewound. Only that error is retried:
 * nothing was added to the transaction, so repeating the call is safe.
 */
export async function retryConcurrentTransactions<T>(fn: () => Promise<T>, backoffMs: readonly number[] = CONCURRENT_TXN_RETRY_MS): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if ((err as { type?: string })?.type !== 'CONCURRENT_TRANSACTIONS' || attempt >= backoffMs.length) throw err;
      await delay(backoffMs[attempt]!);
    }
  }
}

/** One processor's consumer, producer and partition tasks. */
export class ProcessorRunner extends EventEmitter {
  readonly groupId: string;
  private readonly log: Logger;
  private consumer: Consumer | undefined;
  /** at-least-once: one idempotent producer. */
  private producer: Producer | undefined;
  /**
   * exactly-once: one transactional producer per input partition, `<app>-<processor>-p<partition>`. Whoever owns a
   * partition next initialises the same transactional id, which fences the previous owner's producer: a member the
   * group expired cannot commit that partition's outputs and offsets any more (kafkajs has no KIP-447 group fencing).
   */
  private readonly producers = new Map<number, Promise<Producer>>();
  /**
   * Partitions whose transactional producer finished InitProducerId before the batch being processed was fetched.
   * Only such a batch may be committed: a worker that fetched first and initialised after (stalled in between) would
   * fence the partition's newer owner instead of being fenced, and commit outputs that owner already committed.
   */
  private readonly initialised = new Set<number>();
  private admin: Admin | undefined;
  private readonly tasks = new Map<number, PartitionTask<any>>();
  private assigned = new Set<number>();
  private memberId: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private ticker: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(private readonly cfg: RunnerConfig) {
    super();
    this.groupId = `${cfg.app}-${cfg.processor.name}`;
    this.log = logger('runner', { processor: cfg.processor.name, instance: cfg.instanceId });
  }

  private get name(): string {
    return this.cfg.processor.name;
  }

  /** Serialises batch processing and timer ticks: one transaction at a time per producer. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Input partitions the group currently assigns to this runner, ascending (updated before each 'assigned' event). */
  get assignedPartitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  /** Transactional id of the producer that commits `partition`'s work. */
  transactionalIdOf(partition: number): string {
    return `${this.cfg.app}-${this.cfg.processor.name}-p${partition}`;
  }

  private async connectProducer(partition?: number): Promise<Producer> {
    const p =
      partition !== undefined
        ? this.cfg.kafka.producer({ transactionalId: this.transactionalIdOf(partition), idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000, allowAutoTopicCreation: false })
        : this.cfg.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.connect();
    if (partition !== undefined) {
      // connect() does not run InitProducerId for a transactional id (kafkajs runs it at the first transaction()), and
      // it is InitProducerId that fences older incarnations and aborts their open transaction. An empty transaction runs
      // it now; ending it sends nothing (kafkajs skips EndTxn when no partition or offset was added).
      const txn = await p.transaction();
      await txn.abort();
    }
    return p;
  }

  /** The partition's transactional producer, connected on first use. */
  private producerFor(partition: number): Promise<Producer> {
    let p = this.producers.get(partition);
    if (!p) {
      p = this.connectProducer(partition);
      this.producers.set(partition, p);
      p.catch(() => this.producers.delete(partition));
    }
    return p;
  }

  /** Closes the partition's transactional producer (revoked, or its transaction state is unknown). */
  private closeProducer(partition: number): void {
    const p = this.producers.get(partition);
    if (!p) return;
    this.producers.delete(partition);
    this.initialised.delete(partition);
    void p.then((x) => x.disconnect()).catch(() => undefined);
  }

  /** Connects, joins the group and starts processing. */
  async start(): Promise<void> {
    const { kafka, processor } = this.cfg;
    this.admin = kafka.admin();
    await this.admin.connect();
    if (this.cfg.mode === 'at-least-once') this.producer = await this.connectProducer();
    const consumer = kafka.consumer({
      groupId: this.groupId,
      readUncommitted: false,
      sessionTimeout: this.cfg.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.max(500, Math.floor((this.cfg.sessionTimeoutMs ?? 10_000) / 5)),
      rebalanceTimeout: 30_000,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment = (e.payload as { memberAssignment: Record<string, number[]> }).memberAssignment;
      const next = new Set<number>();
      for (const t of processor.inputTopics) for (const p of assignment[t] ?? []) next.add(p);
      // A new member id means the group expired us: partitions we get back may have been processed by
      // another member meanwhile, so every in-memory state is stale and is restored from its changelog.
      const memberId = (e.payload as { memberId?: string }).memberId;
      const expired = this.memberId !== undefined && memberId !== this.memberId;
      this.memberId = memberId;
      for (const p of [...this.tasks.keys()]) {
        if (!next.has(p) || expired) this.dropTask(p, expired ? 'rejoined as a new member' : 'revoked');
      }
      // An expired member's producers may have been fenced meanwhile: start over with fresh ones.
      for (const p of [...this.producers.keys()]) if (!next.has(p) || expired) this.closeProducer(p);
      this.assigned = next;
      // Start fencing earlier owners now; onBatch waits for it (and re-reads from the committed offset) before processing.
      if (this.cfg.mode === 'exactly-once') for (const p of next) void this.producerFor(p).catch(() => undefined);
      this.log.info('partitions assigned', { partitions: [...next].sort((a, b) => a - b) });
      // For what runs beside the worker per owned partition (the log-cluster embedding trainer).
      this.emit('assigned', { processor: this.name, partitions: this.assignedPartitions });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...processor.inputTopics], fromBeginning: (this.cfg.startFrom ?? 'earliest') === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.exclusive(() => this.onBatch(payload)),
    });
    const tick = this.cfg.wallClockTickMs ?? 1000;
    this.ticker = setInterval(() => void this.exclusive(() => this.onTick()).catch((err) => this.log.error('wall-clock tick failed', { err })), tick);
    this.ticker.unref();
  }

  private dropTask(partition: number, why: string): void {
    if (this.tasks.delete(partition)) {
      this.cfg.metrics.stateKeys.remove({ processor: this.name, partition: String(partition) });
      this.log.info('dropped partition state', { partition, why });
    }
  }

  /** Restores every assigned partition that has no task yet (state from the changelog) before it processes anything. */
  private async restoreMissing(extra: number | undefined, keepAlive: () => Promise<void>): Promise<void> {
    const missing = [...this.assigned].filter((p) => !this.tasks.has(p));
    if (extra !== undefined && !this.tasks.has(extra) && !missing.includes(extra)) missing.push(extra);
    if (missing.length === 0) return;
    const started = process.hrtime.bigint();
    const fresh = new Map(missing.map((p) => [p, new PartitionTask<any>(this.cfg.processor, p, this.cfg.side, this.cfg.globals)]));
    const records = await readToEnd(
      this.cfg.kafka,
      this.cfg.changelog,
      missing,
      (r) => {
        const key = r.key?.toString('utf8') ?? '';
        let value: unknown = null;
        if (r.value !== null) {
          try {
            value = parseJsonWithBytes(r.value.toString('utf8'));
          } catch (err) {
            // Only the engine writes changelogs; a record it cannot read (written by something else) must not stop every
            // restore of the partition. The key keeps what earlier records of it restored.
            this.cfg.metrics.processorEvents.inc({ processor: this.name, kind: 'changelog_record_unreadable' });
            this.log.error('changelog record is not JSON; skipped on restore', { changelog: this.cfg.changelog, partition: r.partition, key: key.slice(0, 200), code: ErrorCodes.INVALID_RECORD, err: (err as Error).message });
            return;
          }
        }
        fresh.get(r.partition)!.restore(key, value);
      },
      { keepAlive, groupPrefix: `${this.groupId}-restore` },
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    for (const [p, t] of fresh) {
      this.tasks.set(p, t);
      this.cfg.metrics.stateKeys.set({ processor: this.name, partition: String(p) }, t.data.size);
    }
    this.cfg.metrics.restoreSeconds.observe({ processor: this.name }, seconds);
    this.cfg.metrics.restoreRecords.inc({ processor: this.name }, records);
    this.log.info('restored state', { partitions: missing, records, seconds: Number(seconds.toFixed(3)), keys: [...fresh.values()].reduce((n, t) => n + t.data.size, 0) });
    this.emit('restored', { partitions: missing, records, seconds });
  }

  private async onBatch(payload: import('kafkajs').EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    if (!isRunning() || isStale() || this.stopping || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const started = Date.now();
    // Reference time for the globals wait: the batch was fetched before this point, so end offsets
    // read after it cover every global record produced before the batch's records.
    const fetchedBy = performance.now();
    if (this.cfg.mode === 'exactly-once' && !this.initialised.has(partition)) {
      // This batch may have been fetched before the partition's producer was initialised: a later owner would not fence
      // us, and an owner that committed since our fetch would be fenced by us instead. Initialise, then read again from
      // the committed offset (an earlier owner's open transaction is aborted by now), and process only what comes then.
      try {
        await this.producerFor(partition);
        this.initialised.add(partition);
        await this.rewind(topic, partition, batch.messages[0]!.offset);
      } catch (err) {
        await this.recover(topic, partition, err);
      }
      return;
    }
    await this.restoreMissing(partition, heartbeat);
    const globalTopics = this.cfg.processor.globalTopics ?? [];
    if (globalTopics.length > 0 && this.cfg.globalsFreshness) await this.cfg.globalsFreshness.caughtUp(globalTopics, { sinceMs: fetchedBy, timeoutMs: this.cfg.globalsTimeoutMs });
    const task = this.tasks.get(partition)!;
    const span = startBatchSpan(this.name, topic, partition, batch.messages.map((m) => m.headers?.traceparent?.toString()), this.groupId);
    let processed = 0;
    let lastBeat = performance.now();
    // Behind: more of this partition is waiting, possibly far behind the others in event time; routers pass that on so
    // the repartitioned stage waits for this partition (runtime/time/partition-clock.ts). Every record but a batch's
    // last is behind (the rest of the batch follows it); the last one is when records remain after the batch, with one
    // record of slack because a transactional topic ends in a commit marker no consumer ever reads.
    const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
    const backlog = BigInt(batch.highWatermark) - BigInt(lastOffset) - 1n > 1n;
    try {
      for (const m of batch.messages) {
        if (this.stopping || !isRunning() || isStale()) break;
        const headers: Record<string, string> = {};
        if (m.headers) for (const [k, v] of Object.entries(m.headers)) if (v !== undefined) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
        const input: TaskInput = { topic, partition, offset: m.offset, key: m.key?.toString('utf8') ?? '', headers, rawKey: m.key, rawValue: m.value, ...(backlog || m.offset !== lastOffset ? { behind: true } : {}) };
        let value: unknown;
        let ok = true;
        try {
          value = await this.cfg.codec.decode(topic, m.value);
        } catch (err) {
          const e = asFmeaflowError(err, ErrorCodes.INVALID_RECORD);
          // A registry that cannot be reached says nothing about the record: abort and re-read it later
          // instead of dead-lettering a good record.
          if (e.retriable) throw e;
          ok = false;
          task.deadLetter(input, e, Date.now());
        }
        if (ok) task.handle(input, value, Date.now());
        processed++;
        if (performance.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
          await heartbeat();
          lastBeat = performance.now();
        }
      }
      if (processed === 0) {
        // Nothing consumed: nothing changed, nothing to commit.
        return;
      }
      task.fireWallClock(Date.now());
      const last = batch.messages[processed - 1]!;
      const nextOffset = (BigInt(last.offset) + 1n).toString();
      const drain = task.drain();
      const processedAt = Date.now();
      // Last chance to learn of a rebalance before committing (kafkajs cannot fence a zombie member's offsets).
      await heartbeat();
      await this.commit(topic, partition, nextOffset, drain, spanTraceparent(span), () => !isRunning() || isStale());
      this.log.debug('batch committed', { partition, records: processed, outputs: drain.outputs.length, changelog: drain.changelog.length, processMs: processedAt - started, commitMs: Date.now() - processedAt });
      resolveOffset(last.offset);
      this.afterCommit(topic, partition, processed, nextOffset, drain, started, batch);
      await heartbeat();
    } catch (err) {
      span.recordException(err as Error);
      await this.recover(topic, partition, err);
    } finally {
      span.end();
    }
  }

  private afterCommit(topic: string, partition: number, processed: number, nextOffset: string | undefined, drain: TaskDrain, started: number, batch?: import('kafkajs').Batch): void {
    const m = this.cfg.metrics;
    const name = this.name;
    if (processed > 0) m.recordsIn.inc({ processor: name, topic }, processed);
    const perTopic = new Map<string, number>();
    for (const o of drain.outputs) perTopic.set(o.topic, (perTopic.get(o.topic) ?? 0) + 1);
    for (const [t, n] of perTopic) m.recordsOut.inc({ processor: name, topic: t }, n);
    if (drain.late > 0) m.late.inc({ processor: name }, drain.late);
    for (const d of drain.dlq) m.dlq.inc({ processor: name, code: d.code });
    if (drain.events.length > 0) reportProcessorEvents(this.log, m, name, drain.events);
    m.txnCommits.inc({ processor: name });
    const now = Date.now();
    m.batchSeconds.observe({ processor: name }, (now - started) / 1000);
    if (batch) {
      for (let i = 0; i < processed; i++) m.recordLatencySeconds.observe({ processor: name }, Math.max(0, now - Number(batch.messages[i]!.timestamp)) / 1000);
      m.consumerLag.set({ processor: name, topic, partition: String(partition) }, Number(batch.offsetLag()));
    }
    const t = this.tasks.get(partition);
    if (t) m.stateKeys.set({ processor: name, partition: String(partition) }, t.data.size);
    const ev: CommitEvent = { processor: name, topic, partition, records: processed, nextOffset };
    this.emit('committed', ev);
  }

  private toMessages(partition: number, drain: TaskDrain, traceparent: string | undefined): TopicMessages[] {
    const byTopic = new Map<string, Message[]>();
    const push = (t: string, msg: Message): void => {
      let arr = byTopic.get(t);
      if (!arr) byTopic.set(t, (arr = []));
      arr.push(msg);
    };
    const deadLetter = (sourceTopic: string, key: string | Buffer, raw: Buffer, headers: Record<string, unknown> | undefined, e: FmeaflowError): void => {
      this.cfg.metrics.dlq.inc({ processor: this.name, code: e.code });
      const rawValue = raw.length > DLQ_RAW_BYTES ? raw.subarray(0, DLQ_RAW_BYTES) : raw;
      const dead = { sourceTopic, sourcePartition: -1, sourceOffset: -1, errorCode: e.code, errorMessage: redactText(e.message), retriable: e.retriable, processor: this.name, rawKey: Buffer.from(key), rawValue, headers: { ...headers }, failedAtMs: Date.now() };
      push(this.cfg.side.dlq, { key, value: this.cfg.codec.encode(this.cfg.side.dlq, dead) });
    };
    for (const o of drain.outputs) {
      const headers = traceparent ? { ...o.headers, traceparent } : o.headers;
      let msg: Message;
      try {
        msg = { key: o.key, value: this.cfg.codec.encode(o.topic, o.value), headers: headers as Record<string, string> | undefined };
      } catch (err) {
        // A processor produced a value its output schema rejects: keep it, in the DLQ, as JSON.
        deadLetter(o.topic, o.key, Buffer.from(stringifyWithBytes(o.value)), o.headers, asFmeaflowError(err, ErrorCodes.SCHEMA_MISMATCH));
        continue;
      }
      const size = messageBytes(msg);
      // The broker would refuse it and abort the whole transaction, every retry again: the batch could never commit.
      if (size > MAX_RECORD_BYTES) deadLetter(o.topic, o.key, msg.value as Buffer, o.headers, tooLarge(o.topic, size, MAX_RECORD_BYTES));
      else push(o.topic, msg);
    }
    for (const c of drain.changelog) {
      const msg: Message = { key: c.key, value: c.value === null || c.value === undefined ? null : Buffer.from(stringifyWithBytes(c.value)), partition };
      const size = messageBytes(msg);
      // A state value this large is a processor bug (its own bounds failed); the DLQ makes it visible without blocking the partition.
      if (size > CHANGELOG_MAX_MESSAGE_BYTES) deadLetter(this.cfg.changelog, c.key, msg.value as Buffer, undefined, tooLarge(this.cfg.changelog, size, CHANGELOG_MAX_MESSAGE_BYTES));
      else push(this.cfg.changelog, msg);
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  private async commit(topic: string, partition: number, nextOffset: string | undefined, drain: TaskDrain, traceparent: string | undefined, stale: () => boolean): Promise<void> {
    const topicMessages = this.toMessages(partition, drain, traceparent);
    if (this.cfg.mode === 'at-least-once') {
      const producer = this.producer!;
      for (const part of chunked(topicMessages)) await producer.sendBatch({ topicMessages: part, acks: -1 });
      if (nextOffset !== undefined) await this.consumer!.commitOffsets([{ topic, partition, offset: nextOffset }]);
      return;
    }
    // Before the producer is touched: a test that freezes the worker here (a zombie) must find it exactly as a worker
    // stalled between processing a batch and sending it.
    this.emit('committing', { processor: this.name, partition, messages: topicMessages.reduce((n, t) => n + t.messages.length, 0) });
    // Never initialise a producer here: after a batch was fetched it is too late to be fenced (see `initialised`).
    if (!this.initialised.has(partition)) throw new FmeaflowError(ErrorCodes.TRANSACTION_ABORTED, `partition ${partition}'s transactional producer was closed after the batch was fetched; re-reading from the last commit`, { retriable: true });
    const producer = await this.producerFor(partition);
    const txn = await producer.transaction();
    try {
      // Offsets go first: the first request of a transaction is the one that can meet the broker's
      // post-commit CONCURRENT_TRANSACTIONS window; ours retries it after 10 ms, whereas kafkajs'
      // sendBatch retries AddPartitionsToTxn after ≥100 ms with two warnings each time.
      // Order inside a transaction does not matter: outputs and offsets become visible together.
      if (nextOffset !== undefined) {
        const offsets = { consumerGroupId: this.groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] };
        await retryConcurrentTransactions(() => txn.sendOffsets(offsets));
      }
      for (const part of chunked(topicMessages)) await txn.sendBatch({ topicMessages: part, acks: -1 });
      // kafkajs cannot send the group generation with the offsets (KIP-447), so check staleness ourselves.
      if (stale()) throw new FmeaflowError(ErrorCodes.TRANSACTION_ABORTED, 'group rebalanced during the batch; aborting so the new owner starts from the last commit', { retriable: true });
      await txn.commit();
    } catch (err) {
      try {
        await txn.abort();
      } catch (abortErr) {
        // Fenced by the partition's next owner, or the transaction state is unknown: the next commit starts a new
        // producer (InitProducerId aborts whatever this one left open).
        this.log.warn('abort failed; closing the partition\'s transactional producer', { partition, err: abortErr });
        this.closeProducer(partition);
      }
      throw err;
    }
  }

  /** After a failed commit: drop the partition's state and rewind to the last committed offset. */
  private async recover(topic: string, partition: number, err: unknown): Promise<void> {
    const e = asFmeaflowError(err, ErrorCodes.TRANSACTION_ABORTED);
    this.cfg.metrics.txnAborts.inc({ processor: this.name, reason: e.code });
    this.emit('aborted', { processor: this.name, partition, code: e.code });
    this.dropTask(partition, 'transaction aborted');
    if (this.stopping) return;
    // Group-membership errors belong to kafkajs: it rejoins and reassigns; our state is already dropped.
    // A fenced producer means another member owns the partition now: let kafkajs rejoin the group (a new member id
    // drops every task) instead of re-initialising the producer, which would fence the new owner in turn.
    const type = String((err as { type?: string })?.type ?? (err as { cause?: { type?: string } })?.cause?.type ?? '');
    if (/REBALANCE_IN_PROGRESS|ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID|NOT_COORDINATOR|FENCED_INSTANCE_ID|INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/.test(type)) throw err;
    this.log.warn('batch aborted; state dropped and partition rewound to the last commit', { topic, partition, err: e });
    // An outside service is down (registry): do not re-read the partition in a tight loop while it is.
    if (e.retriable && e.code !== ErrorCodes.TRANSACTION_ABORTED) await new Promise((r) => setTimeout(r, RETRIABLE_BACKOFF_MS));
    try {
      await this.rewind(topic, partition);
    } catch (seekErr) {
      this.log.error('could not rewind after abort; restarting the consumer', { err: seekErr });
      throw seekErr;
    }
  }

  /** Seeks `partition` to the group's committed offset; without one, to `uncommitted` (default: the log start). */
  private async rewind(topic: string, partition: number, uncommitted?: string): Promise<void> {
    const [committed] = await this.admin!.fetchOffsets({ groupId: this.groupId, topics: [topic] });
    let offset = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
    if (offset === '-1') offset = uncommitted ?? (await this.admin!.fetchTopicOffsets(topic)).find((p) => p.partition === partition)?.low ?? '0';
    this.consumer!.seek({ topic, partition, offset });
  }

  private async onTick(): Promise<void> {
    if (this.stopping) return;
    const now = Date.now();
    for (const [p, task] of this.tasks) {
      if (!this.assigned.has(p)) continue;
      task.fireWallClock(now);
      if (!task.pending) continue;
      const drain = task.drain();
      const started = Date.now();
      try {
        await this.commit('', p, undefined, drain, undefined, () => false);
        this.afterCommit('', p, 0, undefined, drain, started);
      } catch (err) {
        this.cfg.metrics.txnAborts.inc({ processor: this.name, reason: asFmeaflowError(err).code });
        this.dropTask(p, 'timer transaction aborted');
      }
    }
  }

  /** Finishes the open batch (commit or abort), leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    await this.consumer?.disconnect().catch((err) => this.log.warn('consumer disconnect failed', { err }));
    await this.chain.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await Promise.all([...this.producers.values()].map((p) => p.then((x) => x.disconnect()).catch(() => undefined)));
    this.producers.clear();
    this.initialised.clear();
    await this.admin?.disconnect().catch(() => undefined);
  }
}
