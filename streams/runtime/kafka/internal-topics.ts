/**
 * Names and creation of the runtime's internal topics: compacted changelogs
 * `<app>-<store>-changelog` (one partition per input partition, so a changelog record
 * sits on the same partition number as the input it came from) and repartition topics
 * `<app>-<name>-repartition`.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { waitForTopicLeaders } from '../admin/topic-readiness.ts';
import { CHANGELOG_MAX_MESSAGE_BYTES } from './send-chunks.ts';

// kafkajs is CommonJS and Node cannot see this export statically.
const { ConfigResourceTypes } = kafkajs;

/** Topic configs of an internal topic: changelogs are compacted and take state records up to CHANGELOG_MAX_MESSAGE_BYTES. */
export function internalTopicConfig(compact: boolean): { name: string; value: string }[] {
  return compact ? [{ name: 'cleanup.policy', value: 'compact' }, { name: 'max.message.bytes', value: String(CHANGELOG_MAX_MESSAGE_BYTES) }] : [];
}

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
  await raiseChangelogLimits(admin, specs.filter((s) => s.compact && counts.has(s.topic)).map((s) => s.topic));
  const missing = specs.filter((s) => !counts.has(s.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.partitions,
      replicationFactor: -1,
      configEntries: internalTopicConfig(s.compact),
    })),
  }).catch((err: Error) => {
    // Another worker may have created it in the meantime.
    if (!/already exists/i.test(err.message)) throw err;
  });
  await waitForTopicLeaders(admin, missing.map((s) => s.topic));
}

/**
 * Changelogs created before they carried max.message.bytes keep the broker's 1 MiB limit, and a larger
 * state record would fail every commit of its partition: raise it. AlterConfigs replaces a topic's whole
 * override set, so the full internal set is written (the runtime owns these topics and sets nothing else).
 */
async function raiseChangelogLimits(admin: Admin, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })) });
  const low = described.resources
    .filter((r) => Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue ?? 0) < CHANGELOG_MAX_MESSAGE_BYTES)
    .map((r) => r.resourceName);
  if (low.length === 0) return;
  await admin.alterConfigs({ validateOnly: false, resources: low.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configEntries: internalTopicConfig(true) })) });
}
