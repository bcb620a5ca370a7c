/**
 * Feeds the embedding trainer from the log-cluster processor's changelog
 * (`<app>-log-clusters-changelog`): `tpl:<id>` records are the partition's templates
 * (tombstone = evicted), `emb` is the model the processor adopted. Reading the changelog
 * rather than the processor's memory works for every worker and survives restarts: a
 * fresh trainer learns the current templates and the model version to continue from.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer } from 'kafkajs';
import { isEmbeddingModel } from '../../processors/logs/embedding-model.ts';
import { StoreKeys } from '../../processors/logs/log-store.ts';
import type { KafkaClient } from '../kafka/client.ts';
import { parseJsonWithBytes } from '../serde/json-bytes.ts';
import { logger } from '../observability/logger.ts';
import type { EmbeddingTrainer } from './embedding-trainer.ts';

const log = logger('log-embeddings');
const TEMPLATE_PREFIX = StoreKeys.template(0).slice(0, -1);

/** Applies one changelog record to the trainer (ignores every key but templates and the model). */
export function applyChangelogRecord(trainer: EmbeddingTrainer, partition: number, key: string, value: Buffer | string | null): void {
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

/** Follows `changelog` from the beginning (committed records only) into `trainer`; returns a stop function. */
export async function followChangelogTemplates(kafka: KafkaClient, changelog: string, trainer: EmbeddingTrainer): Promise<() => Promise<void>> {
  // A private group that never commits: every start re-reads the (compacted) changelog.
  const consumer: Consumer = kafka.consumer({ groupId: `fmeaflow-log-embeddings-${randomBytes(6).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [changelog], fromBeginning: true });
  void consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      try {
        applyChangelogRecord(trainer, partition, message.key?.toString('utf8') ?? '', message.value);
      } catch (err) {
        log.warn('changelog record not usable for training; skipped', { changelog, partition, offset: message.offset, err });
      }
    },
  });
  return () => consumer.disconnect();
}
