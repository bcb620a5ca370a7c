import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskLine } from '../../../streams/processors/logs/masking.ts';
import { LstmCodeEncoder, embeddingVersionOf } from '../../../streams/processors/logs/embedding-model.ts';
import { tfCodes, trainLstmWeights } from '../../../streams/runtime/logs/lstm-training.ts';
import { TemplateVectorizer } from '../../../streams/processors/logs/template-vectorizer.ts';
import { SlidingTfidf } from '../../../streams/processors/logs/sliding-tfidf.ts';

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
const model = (w: Awaited<ReturnType<typeof trainLstmWeights>>, version = 1) => ({ ...w, version, partition: 0 });

test('the encoder yields 64-d codes, the processor-side forward pass equals tfjs, and the combined vector is 128-d', async () => {
  const weights = await trainLstmWeights(templates, { ...small, seed: 1 });
  assert.ok(['cpu', 'tensorflow'].includes(weights.backend));
  assert.match(weights.sha, /^[0-9a-f]{64}$/);
  const codes = new LstmCodeEncoder(model(weights)).encode(templates);
  assert.equal(codes.length, templates.length);
  const reference = await tfCodes(weights, templates);
  codes.forEach((c, i) => {
    assert.equal(c.length, 64);
    c.forEach((x, j) => assert.ok(Math.abs(x - reference[i]![j]!) < 1e-4, `template ${i} dim ${j}: ${x} vs tfjs ${reference[i]![j]}`));
  });
  assert.ok(codes.some((c) => c.some((x) => Math.abs(x) > 1e-3)), 'codes are not all zero');
  const tf = new SlidingTfidf();
  templates.forEach((t, i) => tf.observe(i, t));
  assert.equal(new TemplateVectorizer().vector(tf.weights(templates[0]!), codes[0]).length, 128);
});

test('same seed and data give identical weights (same sha, same codes); another seed gives different ones', async () => {
  const a = await trainLstmWeights(templates, { ...small, seed: 7 });
  const b = await trainLstmWeights(templates, { ...small, seed: 7 });
  const c = await trainLstmWeights(templates, { ...small, seed: 8 });
  assert.equal(a.sha, b.sha);
  assert.equal(a.finalLoss, b.finalLoss);
  assert.deepEqual(new LstmCodeEncoder(model(a)).encode(templates), new LstmCodeEncoder(model(b)).encode(templates));
  assert.notEqual(a.sha, c.sha);
  assert.notDeepEqual(new LstmCodeEncoder(model(a)).encode(templates), new LstmCodeEncoder(model(c)).encode(templates));
  assert.equal(embeddingVersionOf(model(a, 3)), `lstm-ae-v3-${a.sha.slice(0, 12)}`);
});

test('weights that do not match their declared shape are refused', async () => {
  const w = await trainLstmWeights(templates, { ...small, seed: 2 });
  assert.throws(() => new LstmCodeEncoder({ ...model(w), hiddenUnits: 32 }), /kernel holds/);
});
