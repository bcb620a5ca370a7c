/**
 * Follows the log-cluster processor's changelog (`<app>-log-clusters-changelog`) beside a
 * worker: `meta` carries the partition's input counters (exposed as
 * fmeaflow_log_input_lines), `tpl:<id>` its templates (tombstone = evicted) and `emb` the
 * model it adopted — the embedding trainer's input. Reading the changelog rather than the
 * processor's memory works for every worker and survives restarts: the counters are the
 * store's exactly-once totals, and a fresh trainer learns the templates and the model
 * version to continue from.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { isEmbeddingModel } from '../../processors/logs/embedding-model.ts';
import { LOG_INPUT_COUNTERS, StoreKeys, type LogCounters } from '../../processors/logs/log-store.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { parseJsonWithBytes } from '../serde/json-bytes.ts';
import type { RuntimeMetrics } from '../observability/metrics.ts';
import { logger } from '../observability/logger.ts';
import type { EmbeddingTrainer } from './embedding-trainer.ts';
import { deleteConsumerGroup } from '../kafka/consumer-groups.ts';
import { prefixed } from '../../topic-catalog.ts';

const log = logger('log-clusters-changelog');
const TEMPLATE_PREFIX = StoreKeys.template(0).slice(0, -1);

/** Who wants what from the changelog. */
export interface ChangelogSinks {
  readonly trainer?: EmbeddingTrainer;
  readonly metrics?: Pick<RuntimeMetrics, 'logInputLines'>;
}

/** Applies one changelog record (ignores every key but meta, templates and the model). */
export function applyChangelogRecord(sinks: ChangelogSinks, partition: number, key: string, value: Buffer | string | null): void {
  if (key === StoreKeys.meta) {
    if (value === null || sinks.metrics === undefined) return;
    const counters = (parseJsonWithBytes(value.toString()) as { counters?: Partial<LogCounters> }).counters ?? {};
    for (const [field, kind] of Object.entries(LOG_INPUT_COUNTERS)) {
      const n = counters[field as keyof LogCounters];
      if (typeof n === 'number') sinks.metrics.logInputLines.set({ partition: String(partition), kind: kind! }, n);
    }
    return;
  }
  const trainer = sinks.trainer;
  if (trainer === undefined) return;
  if (key === StoreKeys.embedding) {
    if (value === null) return;
    const v = parseJsonWithBytes(value.toString()) as { model?: unknown };
    if (isEmbeddingModel(v.model)) trainer.observeModel(partition, v.model);
    return;
  }
  if (!key.startsWith(TEMPLATE_PREFIX)) return;
  const id = Number(key.slice(TEMPLATE_PREFIX.length));
  if (!Number.isInteger(id)) return;
  if (value === null) {
    trainer.forgetTemplate(partition, id);
    return;
  }
  const v = parseJsonWithBytes(value.toString()) as { record?: { tokens?: unknown; lastSeenMs?: unknown } };
  const tokens = v.record?.tokens;
  if (Array.isArray(tokens) && tokens.every((t) => typeof t === 'string')) trainer.observeTemplate(partition, id, tokens as string[], Number(v.record?.lastSeenMs ?? 0));
}

/**
 * Follows `changelog` from the beginning (committed records only) into `sinks`; returns a stop function. The trainer
 * is held until every partition is read up to its end offset at start (what the processor had stored by then).
 */
export async function followLogClusterChangelog(kafka: KafkaClient, changelog: string, sinks: ChangelogSinks, groupPrefix = prefixed('fmeaflow')): Promise<() => Promise<void>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(changelog).finally(() => admin.disconnect());
  // End offsets count transaction markers, which no message carries: progress comes from batch ends (marker-only batches included).
  const behind = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  const trainer = sinks.trainer;
  const release = (): void => {
    if (behind.size === 0) trainer?.restored();
  };
  trainer?.holdUntilRestored();
  // A private group that never commits: every start re-reads the (compacted) changelog.
  // Prefixed by the app id, so the app's ACL on groups `<app>-*` covers it.
  const groupId = `${groupPrefix}-log-clusters-observer-${randomBytes(6).toString('hex')}`;
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const { partition, lastOffset } = e.payload as { partition: number; lastOffset: string };
    const end = behind.get(partition);
    if (end !== undefined && BigInt(lastOffset) + 1n >= end) {
      behind.delete(partition);
      release();
    }
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [changelog], fromBeginning: true });
  release();
  void consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      try {
        applyChangelogRecord(sinks, partition, message.key?.toString('utf8') ?? '', message.value);
      } catch (err) {
        log.warn('changelog record not usable; skipped', { changelog, partition, offset: message.offset, err });
      }
    },
  });
  return () => consumer.disconnect().then(() => deleteConsumerGroup(kafka, groupId).catch(() => undefined));
}
