/**
 * The partition a keyed record lands on: kafkajs' default partitioner (murmur2, the same
 * as the Java client), so the replay runtime places records exactly where Kafka would.
 */
import kafkajs from 'kafkajs';

const partitioner = kafkajs.Partitioners.DefaultPartitioner();
const metaCache = new Map<number, { partitionId: number; leader: number }[]>();

/** Partition of `key` in a topic with `partitions` partitions. */
export function partitionFor(topic: string, key: string, partitions: number): number {
  if (partitions <= 1) return 0;
  let meta = metaCache.get(partitions);
  if (!meta) {
    meta = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }));
    metaCache.set(partitions, meta);
  }
  return partitioner({ topic, partitionMetadata: meta as never, message: { key, value: null } });
}
