/**
 * Follows the engine's output topics as a downstream system would (read_committed, so aborted
 * transactions never show) and hands each decoded record to a callback. Used by the demo's
 * terminal board, the live web view and the end-to-end tests.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import type { KafkaClient } from '../kafka/client.ts';
import type { Serde } from '../serde/serde.ts';
import { deleteConsumerGroup } from '../kafka/consumer-groups.ts';
import { prefixed } from '../../topic-catalog.ts';

export interface FeedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  /** Decoded value; null for tombstones. */
  readonly value: unknown;
}

export interface OutputFeed {
  /** The feed's own consumer group (random per feed). */
  readonly groupId: string;
  /** Stops following, leaves the group and deletes it; calling it again waits for the same stop. */
  stop(): Promise<void>;
}

/**
 * Subscribes to `topics`. With `fromBeginning: false` only records written after the feed joined are
 * seen, which is how the demo and tests ignore earlier runs' outputs on shared topics.
 */
export async function followOutputs(
  kafka: KafkaClient,
  serde: Serde,
  topics: readonly string[],
  onRecord: (r: FeedRecord) => void,
  opts: { fromBeginning?: boolean; onDecodeError?: (topic: string, err: unknown) => void; groupPrefix?: string } = {},
): Promise<OutputFeed> {
  const groupId = `${opts.groupPrefix ?? prefixed('fmeaflow')}-feed-${randomBytes(6).toString('hex')}`;
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: opts.fromBeginning ?? false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      let value: unknown = null;
      if (message.value) {
        try {
          value = await serde.decode(topic, message.value);
        } catch (err) {
          opts.onDecodeError?.(topic, err);
          return;
        }
      }
      onRecord({ topic, partition, offset: message.offset, key: message.key?.toString() ?? '', value });
    },
  });
  await joined;
  let stopped: Promise<void> | undefined;
  // Each feed has a fresh group, so without the delete every demo run or test would leave one behind
  // on the broker; it can only be deleted once the consumer has left it (disconnect awaits the leave).
  return { groupId, stop: () => (stopped ??= consumer.disconnect().then(() => deleteConsumerGroup(kafka, groupId))) };
}
