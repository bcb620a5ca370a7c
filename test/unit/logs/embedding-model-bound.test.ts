import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_EMBEDDING_MODEL_BYTES } from '../../../streams/processors/logs/embedding-model.ts';
import { DEFAULT_LOG_CLUSTER_CONFIG } from '../../../streams/processors/logs/log-cluster-processor.ts';
import { StoreKeys } from '../../../streams/processors/logs/log-store.ts';
import { CHANGELOG_MAX_MESSAGE_BYTES, messageBytes } from '../../../streams/runtime/kafka/send-chunks.ts';
import { DEFAULT_TRAINER_OPTIONS } from '../../../streams/runtime/logs/embedding-trainer.ts';

test('the processor adopts and the trainer offers models up to one bound, and a record at that bound fits the changelog', () => {
  assert.equal(DEFAULT_LOG_CLUSTER_CONFIG.maxEmbeddingModelBytes, MAX_EMBEDDING_MODEL_BYTES);
  assert.equal(DEFAULT_TRAINER_OPTIONS.maxModelBytes, MAX_EMBEDDING_MODEL_BYTES, 'the trainer does not train models the processor refuses');
  // The largest value the bound lets through, measured as the runner measures the changelog message it sends.
  const size = messageBytes({ key: StoreKeys.embedding, value: Buffer.alloc(MAX_EMBEDDING_MODEL_BYTES) });
  assert.ok(size <= CHANGELOG_MAX_MESSAGE_BYTES, `${size} B over the changelog's ${CHANGELOG_MAX_MESSAGE_BYTES} B limit`);
  assert.ok(CHANGELOG_MAX_MESSAGE_BYTES - MAX_EMBEDDING_MODEL_BYTES <= 128 * 1024, 'the bound follows the changelog limit, not an older smaller one');
});
