/**
 * Runs one processor under a Kafka consumer group. Per fetched partition batch it restores the
 * partition's task if needed, runs the batch through it, and commits outputs, changelog writes and
 * the input offset together (committer.ts). A failed or aborted commit drops the partition's
 * in-memory state and rewinds to the last committed offset, so nothing is ever half applied.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import { asFmeaflowError, ErrorCodes } from '../../errors.ts';
import type { PartitionTask, TaskDrain } from '../state/partition-task.ts';
import { logger, type Logger } from '../observability/logger.ts';
import { spanTraceparent, startBatchSpan } from '../observability/tracing.ts';
import { PartitionAssignment } from './partition-assignment.ts';
import { restorePartitions } from './state-restore.ts';
import { processBatch } from './batch-loop.ts';
import { openCommitter, type Committer } from './committer.ts';
import type { CommitEvent, RunnerConfig } from './runner-config.ts';
import { outboundMessages } from './outbound-records.ts';
import { recordCommit, type CommittedBatch } from './commit-metrics.ts';
import { fireIdleTimers, WallClockTicker } from './wall-clock-ticker.ts';
import { needsRejoin, producerFenced } from './kafka-errors.ts';
import { committedOffset } from './consumer-groups.ts';

const RETRIABLE_BACKOFF_MS = 1000; // before re-reading a partition whose batch failed on an unreachable outside service

/** One processor's consumer, committer and partition tasks. */
export class ProcessorRunner extends EventEmitter {
  readonly groupId: string;
  private readonly log: Logger;
  private consumer: Consumer | undefined;
  private committer: Committer | undefined;
  private admin: Admin | undefined;
  private readonly tasks = new Map<number, PartitionTask<any>>();
  private readonly assignment: PartitionAssignment;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly ticker = new WallClockTicker();
  private stopping = false;

  constructor(private readonly cfg: RunnerConfig) {
    super();
    this.groupId = `${cfg.app}-${cfg.processor.name}`;
    this.log = logger('runner', { processor: cfg.processor.name, instance: cfg.instanceId });
    this.assignment = new PartitionAssignment(cfg.processor.inputTopics);
  }

  /** Serialises batch processing and timer ticks: one transaction at a time per producer. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Input partitions the group currently assigns to this runner, ascending (updated before each 'assigned' event). */
  get assignedPartitions(): number[] {
    return this.assignment.partitions;
  }

  /** Transactional id of the producer that commits `partition`'s work. */
  transactionalIdOf(partition: number): string {
    return `${this.cfg.app}-${this.cfg.processor.name}-p${partition}`;
  }

  /** Connects, joins the group and starts processing. */
  async start(): Promise<void> {
    const { kafka, processor } = this.cfg;
    this.admin = kafka.admin();
    await this.admin.connect();
    this.committer = await openCommitter(this.cfg.mode, {
      kafka, groupId: this.groupId, log: this.log, consumer: () => this.consumer!, transactionalIdOf: (p) => this.transactionalIdOf(p),
      onCommitting: (partition, messages) => this.emit('committing', { processor: this.cfg.processor.name, partition, messages }),
    });
    const session = this.cfg.sessionTimeoutMs ?? 10_000;
    const consumer = (this.consumer = kafka.consumer({ groupId: this.groupId, readUncommitted: false, sessionTimeout: session, heartbeatInterval: Math.max(500, Math.floor(session / 5)), rebalanceTimeout: 30_000, maxWaitTimeInMs: 100, allowAutoTopicCreation: false }));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const { memberAssignment, memberId } = e.payload as { memberAssignment: Record<string, number[]>; memberId?: string };
      for (const s of this.assignment.join(memberAssignment, memberId, this.tasks.keys())) this.dropTask(s.partition, s.why);
      this.committer!.retain((p) => this.assignment.has(p));
      this.log.info('partitions assigned', { partitions: this.assignedPartitions });
      // For what runs beside the worker per owned partition (the log-cluster embedding trainer).
      this.emit('assigned', { processor: this.cfg.processor.name, partitions: this.assignedPartitions });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...processor.inputTopics], fromBeginning: (this.cfg.startFrom ?? 'earliest') === 'earliest' });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch: (payload) => this.exclusive(() => this.onBatch(payload)) });
    this.ticker.start(this.cfg.wallClockTickMs ?? 1000, () => void this.exclusive(() => this.onTick()).catch((err) => this.log.error('wall-clock tick failed', { err })));
  }

  private dropTask(partition: number, why: string): void {
    if (this.tasks.delete(partition)) {
      this.cfg.metrics.stateKeys.remove({ processor: this.cfg.processor.name, partition: String(partition) });
      this.log.info('dropped partition state', { partition, why });
    }
  }

  /** Restores every assigned partition that has no task yet (state from the changelog) before it processes anything. */
  private async restoreMissing(extra: number, keepAlive: () => Promise<void>): Promise<void> {
    const missing = this.assignment.partitions.filter((p) => !this.tasks.has(p));
    if (!this.tasks.has(extra) && !missing.includes(extra)) missing.push(extra);
    if (missing.length === 0) return;
    const { kafka, processor, side, globals, changelog, metrics } = this.cfg;
    const r = await restorePartitions({ kafka, processor, side, globals, changelog, metrics, log: this.log, groupPrefix: `${this.groupId}-restore` }, missing, keepAlive);
    for (const [p, t] of r.tasks) {
      this.tasks.set(p, t);
      metrics.stateKeys.set({ processor: this.cfg.processor.name, partition: String(p) }, t.data.size);
    }
    this.emit('restored', { partitions: missing, records: r.records, seconds: r.seconds });
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || this.stopping || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const started = Date.now();
    // Reference time for the globals wait: the batch was fetched before this point, so end offsets
    // read after it cover every global record produced before the batch's records.
    const fetchedBy = performance.now();
    await this.restoreMissing(partition, heartbeat);
    const globalTopics = this.cfg.processor.globalTopics ?? [];
    if (globalTopics.length > 0 && this.cfg.globalsFreshness) await this.cfg.globalsFreshness.caughtUp(globalTopics, { sinceMs: fetchedBy, timeoutMs: this.cfg.globalsTimeoutMs });
    const task = this.tasks.get(partition)!;
    const span = startBatchSpan(this.cfg.processor.name, topic, partition, batch.messages.map((m) => m.headers?.traceparent?.toString()), this.groupId);
    try {
      const processed = await processBatch(task, batch, this.cfg.codec, heartbeat, () => !this.stopping && isRunning() && !isStale());
      if (processed === 0) return; // nothing consumed: nothing changed, nothing to commit
      task.fireWallClock(Date.now());
      const last = batch.messages[processed - 1]!;
      const nextOffset = (BigInt(last.offset) + 1n).toString();
      const drain = task.drain();
      // Last chance to learn of a rebalance before committing (kafkajs cannot fence a zombie member's offsets).
      await heartbeat();
      await this.commit(topic, partition, nextOffset, drain, spanTraceparent(span), () => !isRunning() || isStale());
      resolveOffset(last.offset);
      const timestampsMs = batch.messages.slice(0, processed).map((m) => Number(m.timestamp));
      this.afterCommit({ topic, partition, processed, drain, startedMs: started, input: { timestampsMs, lag: Number(batch.offsetLag()) } }, nextOffset);
      await heartbeat();
    } catch (err) {
      span.recordException(err as Error);
      await this.recover(topic, partition, err);
    } finally {
      span.end();
    }
  }

  private commit(topic: string, partition: number, nextOffset: string | undefined, drain: TaskDrain, traceparent: string | undefined, stale: () => boolean): Promise<void> {
    const ctx = { processor: this.cfg.processor.name, codec: this.cfg.codec, changelog: this.cfg.changelog, dlq: this.cfg.side.dlq, onDeadLetter: (code: string) => this.cfg.metrics.dlq.inc({ processor: this.cfg.processor.name, code }) };
    return this.committer!.commit({ topic, partition, nextOffset, messages: outboundMessages(ctx, partition, drain, traceparent), stale });
  }

  private afterCommit(c: Omit<CommittedBatch, 'stateKeys'>, nextOffset: string | undefined): void {
    recordCommit(this.cfg.metrics, this.log, this.cfg.processor.name, { ...c, stateKeys: this.tasks.get(c.partition)?.data.size });
    const ev: CommitEvent = { processor: this.cfg.processor.name, topic: c.topic, partition: c.partition, records: c.processed, nextOffset, startedMs: c.startedMs };
    this.emit('committed', ev);
  }

  /** After a failed commit: drop the partition's state and rewind to the last committed offset. */
  private async recover(topic: string, partition: number, err: unknown): Promise<void> {
    const e = asFmeaflowError(err, ErrorCodes.TRANSACTION_ABORTED);
    this.cfg.metrics.txnAborts.inc({ processor: this.cfg.processor.name, reason: e.code });
    this.dropTask(partition, 'transaction aborted');
    if (this.stopping) return;
    // Group-membership errors belong to kafkajs: it rejoins and reassigns; our state is already dropped.
    // A fenced producer means another member owns the partition now: let kafkajs rejoin the group (a new member id
    // drops every task) instead of re-initialising the producer, which would fence the new owner in turn.
    if (needsRejoin(err) || producerFenced(err)) throw err;
    this.log.warn('batch aborted; state dropped and partition rewound to the last commit', { topic, partition, err: e });
    // An outside service is down (registry): do not re-read the partition in a tight loop while it is.
    if (e.retriable && e.code !== ErrorCodes.TRANSACTION_ABORTED) await new Promise((r) => setTimeout(r, RETRIABLE_BACKOFF_MS));
    try {
      this.consumer!.seek({ topic, partition, offset: await committedOffset(this.admin!, this.groupId, topic, partition) });
    } catch (seekErr) {
      this.log.error('could not rewind after abort; restarting the consumer', { err: seekErr });
      throw seekErr;
    }
  }

  private async onTick(): Promise<void> {
    if (this.stopping) return;
    await fireIdleTimers(this.tasks, (p) => this.assignment.has(p), Date.now(), async (p, drain) => {
      const started = Date.now();
      try {
        await this.commit('', p, undefined, drain, undefined, () => false);
        this.afterCommit({ topic: '', partition: p, processed: 0, drain, startedMs: started }, undefined);
      } catch (err) {
        this.cfg.metrics.txnAborts.inc({ processor: this.cfg.processor.name, reason: asFmeaflowError(err).code });
        this.dropTask(p, 'timer transaction aborted');
      }
    });
  }

  /** Finishes the open batch (commit or abort), leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.ticker.stop();
    await this.consumer?.disconnect().catch((err) => this.log.warn('consumer disconnect failed', { err }));
    await this.chain.catch(() => undefined);
    await this.committer?.close();
    await this.admin?.disconnect().catch(() => undefined);
  }
}
