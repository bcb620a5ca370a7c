/**
 * Shared helpers for integration tests against the real broker: a fresh topic and group
 * per test (random suffix so parallel helpers never collide), clients closed in
 * `t.after`, and `waitFor(condition)` instead of sleeps.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Admin, Producer } from 'kafkajs';
import { createKafka, type KafkaClient } from '../../streams/runtime/kafka/client.ts';
import { waitForTopicLeaders } from '../../streams/runtime/admin/topic-readiness.ts';
import { deleteConsumerGroup } from '../../streams/runtime/kafka/consumer-groups.ts';

/** A name unique to this test run: `<prefix>-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Polls `condition` until it returns a truthy value or the timeout passes (then throws with `what`). */
export async function waitFor<T>(condition: () => T | Promise<T>, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await condition();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** A kafkajs client for one test. */
export function testKafka(): KafkaClient {
  return createKafka(uniqueName('test'));
}

/** Connected admin client, disconnected after the test. */
export async function testAdmin(t: TestContext, kafka = testKafka()): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  return admin;
}

/** Connected idempotent producer, disconnected after the test. */
export async function testProducer(t: TestContext, kafka = testKafka()): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  t.after(() => producer.disconnect());
  return producer;
}

/** Creates fresh topics (deleted after the test) and returns their names in order. */
export async function freshTopics(t: TestContext, specs: readonly { prefix: string; partitions?: number; compact?: boolean }[]): Promise<string[]> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const names = specs.map((s) => uniqueName(s.prefix));
  await admin.createTopics({
    waitForLeaders: false,
    topics: specs.map((s, i) => ({
      topic: names[i]!,
      numPartitions: s.partitions ?? 1,
      replicationFactor: 1,
      configEntries: s.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
    })),
  });
  await waitForTopicLeaders(admin, names);
  t.after(async () => {
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
    await admin.disconnect();
  });
  return names;
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning up to its current end offsets (read_committed by
 * default, so aborted transactional writes are invisible), then disconnects.
 */
export async function readAll(topic: string, opts: { readUncommitted?: boolean; timeoutMs?: number } = {}): Promise<ReadRecord[]> {
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  // End offsets count transaction markers too; we are done when every partition's position passes them.
  const target = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
  const seen = new Map<number, bigint>(ends.map((e) => [e.partition, BigInt(e.low)]));
  const out: ReadRecord[] = [];
  if ([...target].every(([p, h]) => h <= seen.get(p)!)) return out;
  const groupId = uniqueName('reader');
  const consumer = kafka.consumer({ groupId, readUncommitted: opts.readUncommitted ?? false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolveDone, reject) => {
      const timer = setTimeout(() => reject(new Error(`readAll(${topic}) timed out`)), opts.timeoutMs ?? 60_000);
      const check = (): void => {
        if ([...target].every(([p, h]) => (seen.get(p) ?? 0n) >= h)) {
          clearTimeout(timer);
          resolveDone();
        }
      };
      // END_BATCH_PROCESS also fires for batches that held only transaction markers or aborted
      // records (never handed to eachBatch), so progress is tracked there.
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        const { partition, lastOffset } = e.payload as { partition: number; lastOffset: string };
        seen.set(partition, BigInt(lastOffset) + 1n);
        check();
      });
      void consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          for (const m of batch.messages) {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
            out.push({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers });
            resolveOffset(m.offset);
          }
        },
      }).catch(reject);
      check();
    });
  } finally {
    await consumer.disconnect();
    await deleteConsumerGroup(kafka, groupId).catch(() => undefined);
  }
  return out;
}

/** Sends keyed values in chunks (optionally to explicit partitions), returning when all are acknowledged. */
export async function produceAll(producer: Producer, topic: string, records: readonly { key: string; value: Buffer | null; partition?: number; headers?: Record<string, string> }[], chunk = 2000): Promise<void> {
  for (let i = 0; i < records.length; i += chunk) {
    await producer.send({ topic, acks: -1, messages: records.slice(i, i + chunk).map((r) => ({ key: r.key, value: r.value, partition: r.partition, headers: r.headers })) });
  }
}

/**
 * Waits until a consumer group's committed offsets reach the end of `topic` on every partition.
 * Only for non-transactional inputs: a transactionally written topic ends with a commit marker
 * no consumer commits past, so wait for the records (e.g. the worker's 'committed' events) instead.
 */
export async function waitForGroupCaughtUp(admin: Admin, groupId: string, topic: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return ends.every((e) => {
        const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
        return BigInt(e.high) === BigInt(e.low) || (c !== '-1' && BigInt(c) >= BigInt(e.high));
      });
    },
    { timeoutMs, intervalMs: 200, what: `group ${groupId} to commit to the end of ${topic}` },
  );
}
