import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogClusterProcessor, type LogClusterConfig } from '../../../streams/processors/logs/log-cluster-processor.ts';
import { DEFAULT_TREND_OPTIONS } from '../../../streams/processors/logs/cluster-trends.ts';
import { embeddingVersionOf, modelRecordBytes, type EmbeddingModel } from '../../../streams/processors/logs/embedding-model.ts';
import { maskLine } from '../../../streams/processors/logs/masking.ts';
import { trainLstmWeights } from '../../../streams/runtime/logs/lstm-training.ts';
import { LogTask } from './log-task-harness.ts';

const MIN = 60_000;
const T0 = 1_764_000_000_000 - (1_764_000_000_000 % MIN);
const config: Partial<LogClusterConfig> = {
  windowMs: MIN, allowedLatenessMs: 0, closeDelayMs: 10_000, driftSource: 'input',
  trends: { ...DEFAULT_TREND_OPTIONS, alpha: 0.5, warmupWindows: 0, minBaselineWindows: 3, rateUpRatio: 3, minCount: 5, goneAfterWindows: 2, goneMinBaseline: 1 },
};
const BODIES: Record<string, (i: number) => string> = {
  volt: (i) => `bus voltage ${11000 + i} mV below limit`,
  hb: (i) => `heartbeat ok from ecu ${i % 4}`,
  to: (i) => `request timeout on CAN id 0x2A3 after ${200 + i} ms`,
  fan: (i) => `fan speed ${3000 + i} rpm out of range`,
};

function window(t: LogTask, w: number, kinds: Record<string, number>): void {
  let k = 0;
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  for (const [kind, n] of Object.entries(kinds)) {
    for (let i = 0; i < n; i++) t.log({ vehicleId: 'VIN-1', body: BODIES[kind]!(i), timestampMs: T0 + w * MIN + 1000 + Math.floor((k++ * 50_000) / total) });
  }
}

/** A mutable source, as the runtime trainer is: it offers a model once one is trained. */
function source(): { latest(p: number): EmbeddingModel | undefined; offer(m: EmbeddingModel): void } {
  let m: EmbeddingModel | undefined;
  return { latest: () => m, offer: (x) => (m = x) };
}

test('with a model supplied the processor clusters embedding vectors, keeps its cluster ids, and restores the model from its store', async () => {
  const weights = await trainLstmWeights(Object.values(BODIES).map((b) => maskLine(b(1))), { epochs: 2, maxSequenceLength: 8, seed: 5 });
  const model: EmbeddingModel = { ...weights, version: 1, partition: 0 };
  const src = source();
  const t = new LogTask(createLogClusterProcessor({ ...config, embeddings: src }));
  for (let w = 0; w < 4; w++) window(t, w, { volt: 5, hb: 5, to: 5 });
  assert.ok(t.events.length >= 3 && t.events.every((e) => e.embeddingVersion === 'tfidf'), 'TF-IDF vectors until a model exists');
  const idOf = new Map(t.events.filter((e) => e.eventType === 'NEW').map((e) => [e.templates[0]!.template.split(' ')[0], e.clusterId]));
  assert.equal(new Set(idOf.values()).size, 3);
  const before = t.events.length;

  src.offer(model);
  window(t, 4, { volt: 40, hb: 5, to: 5, fan: 5 });
  window(t, 5, { volt: 5, hb: 5, to: 5, fan: 5 }); // closes window 4
  const after = t.events.slice(before);
  const version = embeddingVersionOf(model);
  assert.ok(after.length > 0 && after.every((e) => e.embeddingVersion === version), `events after the model arrived use it: ${after.map((e) => e.embeddingVersion)}`);
  const up = after.find((e) => e.eventType === 'RATE_UP');
  assert.equal(up?.clusterId, idOf.get('bus'), 'the voltage cluster keeps its id under the new vectors');
  assert.ok(after.some((e) => e.eventType === 'NEW' && e.templates.some((x) => x.template.startsWith('fan'))), 'a new template still founds its own cluster');
  assert.ok(!after.some((e) => e.eventType === 'UPDATE' || (e.eventType === 'NEW' && !e.templates.some((x) => x.template.startsWith('fan')))), 'no existing cluster was renamed or re-formed');
  const stored = t.changelog.get('emb') as { model: EmbeddingModel } | undefined;
  assert.equal(stored?.model.sha, model.sha, 'the adopted weights are in the store (changelog)');

  // Restart: a fresh instance whose trainer has offered nothing yet continues with the stored model.
  const r = LogTask.restoredFrom(createLogClusterProcessor({ ...config, embeddings: source() }), t.changelog);
  window(r, 6, { volt: 5, hb: 5, to: 40, fan: 5 });
  window(r, 7, { volt: 5 });
  assert.ok(r.events.length > 0 && r.events.every((e) => e.embeddingVersion === version), `restored events: ${r.events.map((e) => e.embeddingVersion)}`);

  // Disabled (no source): TF-IDF only, even with a stored model.
  const off = LogTask.restoredFrom(createLogClusterProcessor({ ...config, embeddings: null }), t.changelog);
  window(off, 6, { volt: 5, hb: 5, to: 40, fan: 5 });
  window(off, 7, { volt: 5 });
  assert.ok(off.events.length > 0 && off.events.every((e) => e.embeddingVersion === 'tfidf'));
});

test('an older or undecodable model is not adopted', async () => {
  const weights = await trainLstmWeights(Object.values(BODIES).map((b) => maskLine(b(1))), { epochs: 1, maxSequenceLength: 8, seed: 6 });
  const src = source();
  const t = new LogTask(createLogClusterProcessor({ ...config, embeddings: src }));
  src.offer({ ...weights, version: 2, partition: 0 });
  window(t, 0, { volt: 5 });
  window(t, 1, { hb: 5 });
  src.offer({ ...weights, version: 1, partition: 0, sha: '0'.repeat(64) });
  window(t, 2, { to: 5 });
  src.offer({ ...weights, version: 3, partition: 0, sha: '1'.repeat(64), kernel: 'AAAA' });
  window(t, 3, { fan: 5 });
  window(t, 4, { volt: 1 });
  assert.deepEqual([...new Set(t.events.map((e) => e.embeddingVersion))], [embeddingVersionOf({ version: 2, sha: weights.sha })]);
  assert.equal((t.changelog.get('meta') as { counters: { embeddingModelsRejected: number } }).counters.embeddingModelsRejected >= 1, true);
});

test('a model whose stored record would exceed maxEmbeddingModelBytes is rejected once and the partition keeps its encoder', async () => {
  const weights = await trainLstmWeights(Object.values(BODIES).map((b) => maskLine(b(1))), { epochs: 1, maxSequenceLength: 8, seed: 7 });
  const small: EmbeddingModel = { ...weights, version: 1, partition: 0 };
  // Decodable weights with a longer provenance string: only the record's size differs.
  const large: EmbeddingModel = { ...weights, version: 2, partition: 0, sha: 'f'.repeat(64), backend: `cpu${' '.repeat(2000)}` };
  const bound = modelRecordBytes(small) + 100;
  assert.ok(modelRecordBytes(large) > bound);
  const src = source();
  const t = new LogTask(createLogClusterProcessor({ ...config, embeddings: src, maxEmbeddingModelBytes: bound }));
  src.offer(small);
  window(t, 0, { volt: 5, hb: 5 });
  window(t, 1, { volt: 5, hb: 5 });
  src.offer(large);
  for (let w = 2; w < 6; w++) window(t, w, { volt: 5, hb: 5, to: 5 });
  assert.deepEqual([...new Set(t.events.map((e) => e.embeddingVersion))], [embeddingVersionOf(small)], 'every window keeps the adopted encoder');
  assert.equal((t.changelog.get('emb') as { model: EmbeddingModel }).model.sha, small.sha, 'the store (changelog) keeps the model it can restore');
  const counters = (t.changelog.get('meta') as { counters: { embeddingModelsRejected: number } }).counters;
  assert.equal(counters.embeddingModelsRejected, 1, 'counted once, not at every window close');

  // With no model adopted yet, an oversized one leaves the partition on TF-IDF vectors.
  const fresh = source();
  const f = new LogTask(createLogClusterProcessor({ ...config, embeddings: fresh, maxEmbeddingModelBytes: bound }));
  fresh.offer(large);
  for (let w = 0; w < 3; w++) window(f, w, { volt: 5, hb: 5 });
  assert.ok(f.events.length > 0 && f.events.every((e) => e.embeddingVersion === 'tfidf'));
  assert.equal(f.changelog.has('emb'), false);
});
