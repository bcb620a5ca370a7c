import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskLine } from '../../../streams/processors/logs/masking.ts';
import { trainLstmEncoder } from '../../../streams/processors/logs/lstm-autoencoder.ts';
import { runEmbeddingTrainingJob } from '../../../streams/processors/logs/embedding-training-job.ts';
import { TemplateVectorizer } from '../../../streams/processors/logs/template-vectorizer.ts';
import { SlidingTfidf } from '../../../streams/processors/logs/sliding-tfidf.ts';
import type { EncoderHolder } from '../../../streams/processors/logs/template-encoder.ts';

// Small but real: the same network shape (64 units, dropout 0.1), few epochs and short sequences to keep the suite fast.
const small = { epochs: 2, maxSequenceLength: 8, batchSize: 16 };
const templates = [
  'request timeout on CAN id 0x2A3 after 250 ms',
  'request timed out on CAN id 0x2A3',
  'battery voltage low 11.2 V',
  'door lock actuator stalled at 40 percent',
  'heartbeat ok from ecu 3',
  'fan speed 3000 rpm out of range',
].map((l) => maskLine(l));

test('the encoder yields 64-d codes and the combined vector is 128-d', async () => {
  const { encoder, backend } = await trainLstmEncoder(templates, { ...small, seed: 1 });
  assert.ok(['cpu', 'tensorflow'].includes(backend));
  const codes = encoder.encode(templates);
  assert.equal(codes.length, templates.length);
  for (const c of codes) {
    assert.equal(c.length, 64);
    assert.ok(c.every(Number.isFinite));
  }
  const tf = new SlidingTfidf();
  templates.forEach((t, i) => tf.observe(i, t));
  const v = new TemplateVectorizer().vector(tf.weights(templates[0]!), codes[0]);
  assert.equal(v.length, 128);
  encoder.dispose();
});

test('same seed and data give identical codes; another seed gives different ones', async () => {
  const a = await trainLstmEncoder(templates, { ...small, seed: 7 });
  const b = await trainLstmEncoder(templates, { ...small, seed: 7 });
  const c = await trainLstmEncoder(templates, { ...small, seed: 8 });
  assert.deepEqual(a.encoder.encode(templates), b.encoder.encode(templates));
  assert.equal(a.finalLoss, b.finalLoss);
  assert.notDeepEqual(a.encoder.encode(templates), c.encoder.encode(templates));
  for (const r of [a, b, c]) r.encoder.dispose();
});

test('the training job installs the encoder in the holder the processor reads', async () => {
  const holder: EncoderHolder = { current: null };
  const r = await runEmbeddingTrainingJob(holder, templates, { ...small, seed: 3 });
  assert.equal(holder.current, r.encoder);
  assert.equal(holder.current!.codeSize, 64);
  const again = await runEmbeddingTrainingJob(holder, templates, { ...small, seed: 4 });
  assert.equal(holder.current, again.encoder);
  assert.notEqual(again.encoder.version, r.encoder.version);
  again.encoder.dispose();
});
