/**
 * Keeps global tables current on every worker: a consumer with a private group reads
 * the whole compacted topics from the beginning and keeps following them. `start()`
 * resolves once everything that existed at start time is loaded, so processors never
 * see a half-loaded rule set.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { KafkaClient } from './client.ts';
import type { TopicCodec } from './topic-codec.ts';
import { GlobalTableSet } from '../state/global-table-set.ts';
import { logger } from '../observability/logger.ts';

const log = logger('global-tables');

/** Follows global topics into a GlobalTableSet. */
export class GlobalTableReader {
  readonly tables = new GlobalTableSet();
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly codec: TopicCodec,
    readonly topics: readonly string[],
  ) {}

  /** Loads every global topic to its current end, then keeps following in the background. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.topics.length === 0) return;
    const admin = this.kafka.admin();
    await admin.connect();
    const target = new Map<string, bigint>();
    const seen = new Map<string, bigint>();
    try {
      for (const topic of this.topics) {
        for (const e of await admin.fetchTopicOffsets(topic)) {
          if (BigInt(e.high) > BigInt(e.low)) {
            target.set(`${topic}:${e.partition}`, BigInt(e.high));
            seen.set(`${topic}:${e.partition}`, BigInt(e.low));
          }
        }
      }
    } finally {
      await admin.disconnect();
    }
    const consumer = this.kafka.consumer({ groupId: `fmeaflow-globals-${randomBytes(6).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    let resolveReady!: () => void;
    const ready = new Promise<void>((r) => (resolveReady = r));
    const check = (): void => {
      if ([...target].every(([k, h]) => (seen.get(k) ?? 0n) >= h)) resolveReady();
    };
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const { topic, partition, lastOffset } = e.payload as { topic: string; partition: number; lastOffset: string };
      seen.set(`${topic}:${partition}`, BigInt(lastOffset) + 1n);
      check();
    });
    check();
    void consumer.run({
      eachMessage: async ({ topic, message }) => {
        const key = message.key?.toString('utf8') ?? '';
        try {
          this.tables.apply(topic, key, await this.codec.decode(topic, message.value));
        } catch (err) {
          // A bad global record must not take the worker down; the old value stays in place.
          log.error('global table record does not decode; keeping the previous value', { topic, offset: message.offset, key, err });
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ready,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`global tables ${this.topics.join(', ')} not loaded within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    log.info('global tables loaded', { topics: this.topics, sizes: Object.fromEntries(this.topics.map((t) => [t, this.tables.table(t).size])) });
  }

  /** Stops following. */
  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
