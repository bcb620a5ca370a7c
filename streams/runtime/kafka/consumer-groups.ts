/**
 * Removal of the runtime's throwaway consumer groups (restore readers, global-table readers, feeds).
 * kafkajs has no manual partition assignment, so every such reader joins a random group; left behind,
 * they pile up on the broker (one per restore: over a thousand after a day of rebalances) and make
 * `kafka-consumer-groups --list` useless to an operator.
 */
import type { Admin } from 'kafkajs';
import type { KafkaClient } from './client.ts';

/** Deletes a consumer group whose members have left; one that is already gone is not an error. */
export async function deleteConsumerGroup(kafka: KafkaClient, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]);
  } catch (err) {
    const groups = (err as { groups?: { error?: { type?: string } }[] }).groups;
    if (!groups || groups.some((g) => g.error?.type !== 'GROUP_ID_NOT_FOUND')) throw err;
  } finally {
    await admin.disconnect();
  }
}

/** Where the group resumes `partition`: its committed offset, or when it has none `uncommitted` (default: the partition's earliest). */
export async function committedOffset(admin: Admin, groupId: string, topic: string, partition: number, uncommitted?: string): Promise<string> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const offset = committed?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
  if (offset !== '-1') return offset;
  if (uncommitted !== undefined) return uncommitted;
  return (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition)?.low ?? '0';
}
