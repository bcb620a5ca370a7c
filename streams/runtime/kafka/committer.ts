/**
 * The committer: makes a batch's outputs, changelog writes and input offset durable together. Two
 * protocols behind one interface: exactly-once (one transaction per commit) and at-least-once (send,
 * then commit the offset; a crash between the two repeats the batch's outputs).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Consumer, Producer, TopicMessages } from 'kafkajs';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { KafkaClient } from './client.ts';
import { concurrentTransactions } from './kafka-errors.ts';
import { chunked } from './send-chunks.ts';
import { PartitionLanes } from './partition-lanes.ts';

/** exactly-once: one transaction per batch; at-least-once: outputs first, then offsets (duplicates possible after a crash). */
export type DeliveryMode = 'exactly-once' | 'at-least-once';

/** One commit's work. */
export interface CommitWork {
  readonly topic: string;
  readonly partition: number;
  /** Offset to commit (next to read), or undefined for timer-only commits. */
  readonly nextOffset: string | undefined;
  readonly messages: TopicMessages[];
  /** True once the group rebalanced under the batch: its commit must not go through. */
  readonly stale: () => boolean;
}

export interface Committer {
  /** Commits the work or throws, leaving nothing of it visible to read_committed readers. */
  commit(work: CommitWork): Promise<void>;
  /**
   * After a group join: releases what is held for partitions no longer assigned (all of it when the group expired us,
   * since our producers may have been fenced meanwhile) and starts readying the assigned ones.
   */
  retain(assigned: readonly number[], expired: boolean): void;
  /**
   * Readies `partition` for commits before its batches are processed. True when the batch in hand was fetched before
   * that and must be read again from the last commit (see ExactlyOnceCommitter.initialised).
   */
  refetchFirst(partition: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface CommitterContext {
  readonly kafka: KafkaClient;
  readonly consumer: () => Consumer;
  readonly groupId: string;
  /** `<prefix>-p<partition>` is the transactional id of the producer that commits the partition's work (`<app>-<processor>`). */
  readonly transactionalIdPrefix: string;
  readonly log: Logger;
  /** Called when a transaction opens, with the number of messages it carries (crash tests wait for it). */
  readonly onCommitting?: (partition: number, messages: number) => void;
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
      if (!concurrentTransactions(err) || attempt >= backoffMs.length) throw err;
      await delay(backoffMs[attempt]!);
    }
  }
}

/**
 * A connected producer: transactional when given a transactional id, else idempotent. Exactly-once relies on
 * the transactional id fencing the partition's previous owner, so a transactional producer is returned initialised.
 */
export async function connectProducer(kafka: KafkaClient, transactionalId?: string): Promise<Producer> {
  const p =
    transactionalId !== undefined
      ? kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000, allowAutoTopicCreation: false })
      : kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await p.connect();
  if (transactionalId !== undefined) {
    // connect() does not run InitProducerId for a transactional id (kafkajs runs it at the first transaction()), and
    // it is InitProducerId that fences older incarnations and aborts their open transaction. An empty transaction runs
    // it now; ending it sends nothing (kafkajs skips EndTxn when no partition or offset was added).
    const txn = await p.transaction();
    await txn.abort();
  }
  return p;
}

/** Send, then commit the offset: one idempotent producer for all partitions. */
class AtLeastOnceCommitter implements Committer {
  /** One commit at a time: partitions share the producer, and kafkajs' idempotent sequence numbers are not safe under concurrent sends. */
  private readonly lane = new PartitionLanes<'all'>();

  private constructor(private readonly producer: Producer, private readonly ctx: CommitterContext) {}

  static async open(ctx: CommitterContext): Promise<AtLeastOnceCommitter> {
    return new AtLeastOnceCommitter(await connectProducer(ctx.kafka), ctx);
  }

  commit({ topic, partition, nextOffset, messages }: CommitWork): Promise<void> {
    return this.lane.run('all', async () => {
      for (const part of chunked(messages)) await this.producer.sendBatch({ topicMessages: part, acks: -1 });
      if (nextOffset !== undefined) await this.ctx.consumer().commitOffsets([{ topic, partition, offset: nextOffset }]);
    });
  }

  retain(): void {}

  async refetchFirst(): Promise<boolean> {
    return false;
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

/**
 * One transaction per commit, on one transactional producer per input partition. Whoever owns a partition
 * next initialises the same transactional id, which fences the previous owner's producer: a member the group
 * expired cannot commit that partition's outputs and offsets any more (kafkajs has no KIP-447 group fencing).
 */
class ExactlyOnceCommitter implements Committer {
  private readonly producers = new Map<number, Promise<Producer>>();
  /**
   * Partitions whose transactional producer finished InitProducerId before the batch being processed was fetched.
   * Only such a batch may be committed: a worker that fetched first and initialised after (stalled in between) would
   * fence the partition's newer owner instead of being fenced, and commit outputs that owner already committed.
   */
  private readonly initialised = new Set<number>();

  constructor(private readonly ctx: CommitterContext) {}

  /** The partition's transactional producer, connected on first use. */
  private producerFor(partition: number): Promise<Producer> {
    let p = this.producers.get(partition);
    if (!p) {
      p = connectProducer(this.ctx.kafka, `${this.ctx.transactionalIdPrefix}-p${partition}`);
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

  async refetchFirst(partition: number): Promise<boolean> {
    if (this.initialised.has(partition)) return false;
    await this.producerFor(partition);
    this.initialised.add(partition);
    return true;
  }

  async commit({ topic, partition, nextOffset, messages, stale }: CommitWork): Promise<void> {
    // Before the producer is touched: a test that freezes the worker here (a zombie) must find it exactly as a worker
    // stalled between processing a batch and sending it.
    this.ctx.onCommitting?.(partition, messages.reduce((n, t) => n + t.messages.length, 0));
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
        const offsets = { consumerGroupId: this.ctx.groupId, topics: [{ topic, partitions: [{ partition, offset: nextOffset }] }] };
        await retryConcurrentTransactions(() => txn.sendOffsets(offsets));
      }
      for (const part of chunked(messages)) await txn.sendBatch({ topicMessages: part, acks: -1 });
      // kafkajs cannot send the group generation with the offsets (KIP-447), so check staleness ourselves.
      if (stale()) throw new FmeaflowError(ErrorCodes.TRANSACTION_ABORTED, 'group rebalanced during the batch; aborting so the new owner starts from the last commit', { retriable: true });
      await txn.commit();
    } catch (err) {
      try {
        await txn.abort();
      } catch (abortErr) {
        // Fenced by the partition's next owner, or the transaction state is unknown: the next commit starts a new
        // producer (InitProducerId aborts whatever this one left open).
        this.ctx.log.warn('abort failed; closing the partition\'s transactional producer', { partition, err: abortErr });
        this.closeProducer(partition);
      }
      throw err;
    }
  }

  retain(assigned: readonly number[], expired: boolean): void {
    for (const p of [...this.producers.keys()]) if (expired || !assigned.includes(p)) this.closeProducer(p);
    // Start fencing earlier owners now; refetchFirst waits for it before the partition's first batch is processed.
    for (const p of assigned) void this.producerFor(p).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.producers.values()].map((p) => p.then((x) => x.disconnect()).catch(() => undefined)));
    this.producers.clear();
    this.initialised.clear();
  }
}

/** The committer for `mode`; at-least-once connects its producer now, exactly-once one per partition on first use. */
export async function openCommitter(mode: DeliveryMode, ctx: CommitterContext): Promise<Committer> {
  return mode === 'at-least-once' ? AtLeastOnceCommitter.open(ctx) : new ExactlyOnceCommitter(ctx);
}
