/**
 * Runs one processor under a Kafka consumer group: per fetched partition batch it restores the partition's task if needed,
 * runs the batch through it, and commits outputs, changelog writes and the input offset together (committer.ts). A failed
 * commit drops the partition's in-memory state and rewinds to the last committed offset: nothing is ever half applied.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import { asFmeaflowError, ErrorCodes } from '../../errors.ts';
import type { PartitionTask, TaskDrain } from '../state/partition-task.ts';
import { logger, type Logger } from '../observability/logger.ts';
import { spanTraceparent, startBatchSpan } from '../observability/tracing.ts';
import { PartitionAssignment } from './partition-assignment.ts';
import { restoreMissingTasks } from './state-restore.ts';
import { processBatch } from './batch-loop.ts';
import { openCommitter, type Committer } from './committer.ts';
import type { CommitEvent, RunnerConfig } from './runner-config.ts';
import { outboundMessages } from './outbound-records.ts';
import { recordCommit, type CommittedBatch } from './commit-metrics.ts';
import { fireIdleTimers, WallClockTicker } from './wall-clock-ticker.ts';
import { PartitionLanes } from './partition-lanes.ts';
import { CommitSchedule, type HeldWork } from './commit-schedule.ts';
import { rewindAfterAbort, rewindToCommit, type RewindContext } from './abort-recovery.ts';

/** One processor's consumer, committer and partition tasks. */
export class ProcessorRunner extends EventEmitter {
  readonly groupId: string;
  private readonly log: Logger;
  private consumer: Consumer | undefined;
  private committer: Committer | undefined;
  private admin: Admin | undefined;
  private readonly tasks = new Map<number, PartitionTask<any>>();
  private readonly assignment: PartitionAssignment;
  private readonly lanes = new PartitionLanes<number | 'restore'>();
  private readonly schedule: CommitSchedule;
  private readonly ticker = new WallClockTicker();
  private stopping = false;

  constructor(private readonly cfg: RunnerConfig) {
    super();
    this.groupId = `${cfg.app}-${cfg.processor.name}`;
    this.log = logger('runner', { processor: cfg.processor.name, instance: cfg.instanceId });
    this.assignment = new PartitionAssignment(cfg.processor.inputTopics);
    this.schedule = new CommitSchedule(cfg.commitIntervalMs ?? 0);
  }

  /** Input partitions the group currently assigns to this runner, ascending (updated before each 'assigned' event). */
  get assignedPartitions(): number[] {
    return this.assignment.partitions;
  }

  /** Connects, joins the group and starts processing. */
  async start(): Promise<void> {
    const { kafka, processor } = this.cfg;
    this.admin = kafka.admin();
    await this.admin.connect();
    this.committer = await openCommitter(this.cfg.mode, {
      kafka, groupId: this.groupId, log: this.log, consumer: () => this.consumer!, transactionalIdPrefix: this.groupId,
      onCommitting: (partition, messages) => this.emit('committing', { processor: this.cfg.processor.name, partition, messages }),
    });
    const session = this.cfg.sessionTimeoutMs ?? 10_000;
    const consumer = (this.consumer = kafka.consumer({ groupId: this.groupId, readUncommitted: false, sessionTimeout: session, heartbeatInterval: Math.max(500, Math.floor(session / 5)), rebalanceTimeout: 30_000, maxWaitTimeInMs: 100, allowAutoTopicCreation: false }));
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const { memberAssignment, memberId } = e.payload as { memberAssignment: Record<string, number[]>; memberId?: string };
      for (const s of this.assignment.join(memberAssignment, memberId, this.tasks.keys())) this.dropTask(s.partition, s.why);
      this.committer!.retain(this.assignment.partitions, this.assignment.rejoinedAsNewMember);
      this.log.info('partitions assigned', { partitions: this.assignedPartitions });
      // For what runs beside the worker per owned partition (the log-cluster embedding trainer).
      this.emit('assigned', { processor: this.cfg.processor.name, partitions: this.assignedPartitions });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...processor.inputTopics], fromBeginning: (this.cfg.startFrom ?? 'earliest') === 'earliest' });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: this.cfg.partitionsInFlight ?? 1, eachBatch: (payload) => this.lanes.run(payload.batch.partition, () => this.onBatch(payload)) });
    const tick = this.cfg.wallClockTickMs ?? 1000;
    this.ticker.start(this.schedule.intervalMs > 0 ? Math.min(tick, this.schedule.intervalMs) : tick, () => this.onTick());
  }

  private dropTask(partition: number, why: string): void {
    // Held work is part of the dropped state: its records are read again from the last commit.
    this.schedule.take(partition);
    if (this.tasks.delete(partition)) {
      this.cfg.metrics.stateKeys.remove({ processor: this.cfg.processor.name, partition: String(partition) });
      this.log.info('dropped partition state', { partition, why });
    }
  }

  /** Restores every assigned partition that has no task yet (state from the changelog) before it processes anything; one restore at a time. */
  private restoreMissing(extra: number, keepAlive: () => Promise<void>): Promise<void> {
    const { kafka, processor, side, globals, changelog, metrics } = this.cfg;
    const ctx = { kafka, processor, side, globals, changelog, metrics, log: this.log, groupPrefix: `${this.groupId}-restore` };
    return this.lanes.run('restore', async () => {
      const r = await restoreMissingTasks(ctx, this.tasks, [...this.assignment.partitions, extra], keepAlive);
      if (r) this.emit('restored', r);
    });
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || this.stopping || batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const started = Date.now();
    // The batch was fetched before this point: end offsets read after it cover every global record produced before it.
    const fetchedBy = performance.now();
    // The batch may have been fetched before the partition's producer fenced earlier owners: read it again after.
    try {
      if (await this.committer!.refetchFirst(partition)) return await rewindToCommit(this.rewind(), topic, partition, batch.messages[0]!.offset);
    } catch (err) {
      return this.recover(topic, partition, err);
    }
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
      const timestampsMs = batch.messages.slice(0, processed).map((m) => Number(m.timestamp));
      const held = { topic, nextOffset: (BigInt(last.offset) + 1n).toString(), processed, startedMs: started, timestampsMs, lag: Number(batch.offsetLag()), stale: () => !isRunning() || isStale(), traceparent: spanTraceparent(span) };
      // Not due (commit interval): held, kafkajs reads on from here; an abort or rebalance rewinds to the last commit.
      const due = this.schedule.add(partition, held, Date.now());
      // Heartbeat first: the last chance to learn of a rebalance before committing (kafkajs cannot fence a zombie member's offsets).
      if (due) await heartbeat().then(() => this.commitHeld(partition, due, task.drain()));
      resolveOffset(last.offset);
      await heartbeat();
    } catch (err) {
      span.recordException(err as Error);
      await this.recover(topic, partition, err);
    } finally {
      span.end();
    }
  }

  private async commitHeld(partition: number, h: HeldWork, drain: TaskDrain): Promise<void> {
    await this.commit(h.topic, partition, h.nextOffset, drain, h.traceparent, h.stale);
    this.afterCommit({ topic: h.topic, partition, processed: h.processed, drain, startedMs: h.startedMs, input: { timestampsMs: h.timestampsMs, lag: h.lag } }, h.nextOffset);
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
    this.emit('aborted', { processor: this.cfg.processor.name, partition, code: e.code });
    this.dropTask(partition, 'transaction aborted');
    if (this.stopping) return;
    await rewindAfterAbort(this.rewind(), topic, partition, err, e);
  }

  private rewind(): RewindContext {
    return { admin: this.admin!, consumer: this.consumer!, groupId: this.groupId, log: this.log };
  }

  /** Fires idle partitions' wall-clock timers and commits held work that is due, each in its partition's lane (never inside one of its batches). */
  private onTick(): void {
    for (const [p, task] of this.tasks) if (!this.stopping && this.assignment.has(p)) void this.lanes.run(p, () => this.tickPartition(p, task)).catch((err) => this.log.error('wall-clock tick failed', { err }));
  }

  private async tickPartition(p: number, task: PartitionTask<any>): Promise<void> {
    if (this.stopping || this.tasks.get(p) !== task) return;
    const started = Date.now();
    let held = this.schedule.due(p, started);
    try {
      if (held) await this.commitHeld(p, held, (task.fireWallClock(Date.now()), task.drain()));
      held = undefined;
      await fireIdleTimers(task, Date.now(), async (drain) => {
        held = this.schedule.take(p);
        if (held) return this.commitHeld(p, held, drain);
        await this.commit('', p, undefined, drain, undefined, () => false);
        this.afterCommit({ topic: '', partition: p, processed: 0, drain, startedMs: started }, undefined);
      });
    } catch (err) {
      this.cfg.metrics.txnAborts.inc({ processor: this.cfg.processor.name, reason: asFmeaflowError(err).code });
      this.dropTask(p, 'timer transaction aborted');
      // Held records of an aborted commit are read again from the last commit.
      if (held) await rewindAfterAbort(this.rewind(), held.topic, p, err, asFmeaflowError(err, ErrorCodes.TRANSACTION_ABORTED));
    }
  }

  /** Finishes the open batch (commit or abort), leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.ticker.stop();
    await this.consumer?.disconnect().catch((err) => this.log.warn('consumer disconnect failed', { err }));
    await this.lanes.idle();
    await this.committer?.close();
    await this.admin?.disconnect().catch(() => undefined);
  }
}
