/**
 * Reads chosen partitions of a topic from the beginning up to their current end
 * (read_committed: aborted transactional writes never count). Used to restore state
 * stores from changelogs and to load global tables. kafkajs has no manual partition
 * assignment, so this uses a throwaway consumer group and pauses unwanted partitions.
 */
import { randomBytes } from 'node:crypto';
import type { KafkaClient } from './client.ts';
import { deleteConsumerGroup } from './consumer-groups.ts';
import { prefixed } from '../../topic-catalog.ts';

export interface ReadRecordRaw {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/**
 * Calls `onRecord` for every committed record of `partitions` (all when undefined) up to
 * the end offsets at call time; returns the number of records. `keepAlive` is called
 * about once a second (to heartbeat an outer consumer group during long reads).
 */
export async function readToEnd(
  kafka: KafkaClient,
  topic: string,
  partitions: readonly number[] | undefined,
  onRecord: (r: ReadRecordRaw) => void | Promise<void>,
  opts: { keepAlive?: () => Promise<void>; groupPrefix?: string } = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: string; low: string }[];
  try {
    ends = await admin.fetchTopicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const wanted = new Set(partitions ?? ends.map((e) => e.partition));
  const target = new Map<number, bigint>();
  const seen = new Map<number, bigint>();
  for (const e of ends) {
    if (!wanted.has(e.partition)) continue;
    if (BigInt(e.high) > BigInt(e.low)) {
      target.set(e.partition, BigInt(e.high));
      seen.set(e.partition, BigInt(e.low));
    }
  }
  if (target.size === 0) return 0;
  const groupId = `${opts.groupPrefix ?? prefixed('fmeaflow-reader')}-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
  });
  let count = 0;
  const timer = opts.keepAlive ? setInterval(() => void opts.keepAlive!().catch(() => undefined), 1000) : undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const done = (): boolean => [...target].every(([p, h]) => (seen.get(p) ?? 0n) >= h);
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        const { partition, lastOffset } = e.payload as { partition: number; lastOffset: string };
        if (!target.has(partition)) return;
        seen.set(partition, BigInt(lastOffset) + 1n);
        if (done()) resolve();
      });
      consumer.on(consumer.events.CRASH, (e) => reject((e.payload as { error: Error }).error));
      void consumer
        .run({
          // Nothing to resume from: every read starts at the beginning.
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset, heartbeat, pause }) => {
            if (!target.has(batch.partition)) {
              pause();
              return;
            }
            const limit = target.get(batch.partition)!;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= limit) break;
              await onRecord({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value });
              count++;
              resolveOffset(m.offset);
            }
            await heartbeat();
          },
        })
        .catch(reject);
    });
  } finally {
    if (timer) clearInterval(timer);
    await consumer.disconnect();
    // Best effort: a group left behind is clutter, not an error of the read.
    await deleteConsumerGroup(kafka, groupId).catch(() => undefined);
  }
  return count;
}
