/**
 * Creates the architecture's topics idempotently and reports topics whose live configuration
 * differs from the catalog (partition count, cleanup policy, retention). It never alters an
 * existing topic: changing partitions re-keys data and must be a deliberate operator step.
 */
import kafkajs, { type Admin } from 'kafkajs';

// kafkajs is CommonJS and Node cannot see this export statically.
const { ConfigResourceTypes } = kafkajs;
import type { TopicSpec } from '../../topic-catalog.ts';
import { waitForTopicLeaders } from './topic-readiness.ts';

export interface TopicDrift {
  readonly topic: string;
  readonly setting: string;
  readonly expected: string;
  readonly actual: string;
}

export interface ProvisionReport {
  readonly created: string[];
  readonly existing: string[];
  readonly drift: TopicDrift[];
}

/** Kafka topic configs that express a spec. */
export function topicConfigEntries(spec: Pick<TopicSpec, 'cleanupPolicy' | 'retentionMs'>): { name: string; value: string }[] {
  const entries = [
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
    { name: 'retention.ms', value: String(spec.retentionMs) },
  ];
  // Compacted topics keep the latest value per key; a short dirty ratio makes that visible sooner.
  if (spec.cleanupPolicy === 'compact') entries.push({ name: 'min.cleanable.dirty.ratio', value: '0.1' });
  return entries;
}

type Spec = Pick<TopicSpec, 'name' | 'partitions' | 'cleanupPolicy' | 'retentionMs'>;

/** Errors another process creating the same topics at the same moment can cause; a re-check settles them. */
function isCreationRace(err: unknown): boolean {
  const e = err as { type?: string; message?: string; retriable?: boolean };
  return e?.type === 'TOPIC_ALREADY_EXISTS' || e?.type === 'UNKNOWN_TOPIC_OR_PARTITION' || /already exists|does not host this topic/i.test(e?.message ?? '');
}

/** Creates the missing topics, tolerating another worker creating them concurrently. */
async function createMissing(admin: Admin, specs: readonly Spec[]): Promise<string[]> {
  const created: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !present.has(s.name) && !created.includes(s.name));
    if (missing.length === 0) return created;
    try {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((s) => ({ topic: s.name, numPartitions: s.partitions, replicationFactor: 1, configEntries: topicConfigEntries(s) })),
      });
      created.push(...missing.map((s) => s.name));
      await waitForTopicLeaders(admin, created);
      return created;
    } catch (err) {
      if (!isCreationRace(err) || attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

/** Creates missing topics and compares existing ones with their spec. */
export async function provisionTopics(admin: Admin, specs: readonly Spec[]): Promise<ProvisionReport> {
  // Topics another process has just created exist before their leaders do; metadata then fails for a moment.
  for (let attempt = 0; ; attempt++) {
    try {
      return await provisionOnce(admin, specs);
    } catch (err) {
      if (!isCreationRace(err) || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

async function provisionOnce(admin: Admin, specs: readonly Spec[]): Promise<ProvisionReport> {
  const createdNames = await createMissing(admin, specs);
  const existingSpecs = specs.filter((s) => !createdNames.includes(s.name));
  const drift: TopicDrift[] = [];
  if (existingSpecs.length > 0) {
    const meta = await admin.fetchTopicMetadata({ topics: existingSpecs.map((s) => s.name) });
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: existingSpecs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.name, configNames: ['cleanup.policy', 'retention.ms'] })),
    });
    for (const spec of existingSpecs) {
      const partitions = meta.topics.find((t) => t.name === spec.name)?.partitions.length ?? 0;
      if (partitions !== spec.partitions) drift.push({ topic: spec.name, setting: 'partitions', expected: String(spec.partitions), actual: String(partitions) });
      const entries = configs.resources.find((r) => r.resourceName === spec.name)?.configEntries ?? [];
      for (const want of topicConfigEntries(spec).slice(0, 2)) {
        const got = entries.find((e) => e.configName === want.name)?.configValue ?? '(unset)';
        if (got !== want.value) drift.push({ topic: spec.name, setting: want.name, expected: want.value, actual: got });
      }
    }
  }
  return { created: createdNames, existing: existingSpecs.map((s) => s.name), drift };
}
