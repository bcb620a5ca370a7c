/**
 * Names and creation of the runtime's internal topics: compacted changelogs
 * `<app>-<store>-changelog` (one partition per input partition, so a changelog record
 * sits on the same partition number as the input it came from) and repartition topics
 * `<app>-<name>-repartition`.
 */
import type { Admin } from 'kafkajs';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { waitForTopicLeaders } from '../admin/topic-readiness.ts';

/** The changelog topic of a store. */
export function changelogTopic(app: string, store: string): string {
  return `${app}-${store}-changelog`;
}

/** The repartition topic a processor writes to and another reads from. */
export function repartitionTopic(app: string, name: string): string {
  return `${app}-${name}-repartition`;
}

/** True for topics the runtime creates itself. */
export function isInternalTopic(topic: string): boolean {
  return topic.endsWith('-changelog') || topic.endsWith('-repartition');
}

/** Partition counts of existing topics (missing topics are absent from the map). */
export async function partitionCounts(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const existing = new Set(await admin.listTopics());
  const wanted = topics.filter((t) => existing.has(t));
  const out = new Map<string, number>();
  if (wanted.length === 0) return out;
  const md = await admin.fetchTopicMetadata({ topics: wanted });
  for (const t of md.topics) out.set(t.name, t.partitions.length);
  return out;
}

/**
 * Creates internal topics that do not exist yet; an existing changelog with a different
 * partition count is an error (its records would land on the wrong partitions).
 */
export async function ensureInternalTopics(admin: Admin, specs: readonly { topic: string; partitions: number; compact: boolean }[]): Promise<void> {
  const counts = await partitionCounts(admin, specs.map((s) => s.topic));
  for (const s of specs) {
    const have = counts.get(s.topic);
    if (have !== undefined && have !== s.partitions) {
      throw new FmeaflowError(ErrorCodes.TOPIC_CONFIG_DRIFT, `internal topic ${s.topic} has ${have} partitions but needs ${s.partitions} (same as its input); delete it (its state is rebuilt from the input) or repartition the input`, { details: { topic: s.topic, have, want: s.partitions } });
    }
  }
  const missing = specs.filter((s) => !counts.has(s.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.partitions,
      replicationFactor: -1,
      configEntries: s.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
    })),
  }).catch((err: Error) => {
    // Another worker may have created it in the meantime.
    if (!/already exists/i.test(err.message)) throw err;
  });
  await waitForTopicLeaders(admin, missing.map((s) => s.topic));
}
