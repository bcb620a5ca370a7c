import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { threadId } from 'node:worker_threads';
import client from 'prom-client';
import { createLogClusterProcessor, type LogClusterConfig } from '../../../streams/processors/logs/log-cluster-processor.ts';
import { DEFAULT_TREND_OPTIONS } from '../../../streams/processors/logs/cluster-trends.ts';
import { EmbeddingTrainer, modelRecordBytes, type TrainedEvent } from '../../../streams/runtime/logs/embedding-trainer.ts';
import { applyChangelogRecord } from '../../../streams/runtime/logs/changelog-templates.ts';
import { LogTask } from './log-task-harness.ts';

const MIN = 60_000;
const T0 = 1_764_000_000_000 - (1_764_000_000_000 % MIN);
const config: Partial<LogClusterConfig> = {
  windowMs: MIN, allowedLatenessMs: 0, closeDelayMs: 10_000, driftSource: 'input',
  trends: { ...DEFAULT_TREND_OPTIONS, alpha: 0.5, warmupWindows: 0, minBaselineWindows: 3, rateUpRatio: 3, minCount: 5, goneAfterWindows: 2, goneMinBaseline: 1 },
};
const LINES = ['bus voltage 11000 mV below limit', 'heartbeat ok from ecu 1', 'request timeout on CAN id 0x2A3 after 200 ms', 'door lock actuator stalled', 'fan speed 3000 rpm out of range'];
const training = { epochs: 1, maxSequenceLength: 8 };

function window(t: LogTask, w: number, lines: readonly string[], n = 5): void {
  let k = 0;
  for (const body of lines) for (let i = 0; i < n; i++) t.log({ vehicleId: 'VIN-1', body, timestampMs: T0 + w * MIN + 1000 + k++ * 500 });
}

/** What the Kafka follower does with the changelog, from the harness' compacted copy. */
function feed(trainer: EmbeddingTrainer, t: LogTask): void {
  for (const [key, value] of t.changelog) applyChangelogRecord({ trainer }, t.partition, key, JSON.stringify(value));
}

test('the trainer trains off the main thread on the changelog templates; the processor adopts the versioned weights and a restarted trainer continues the version', async (ctx) => {
  const registry = new client.Registry();
  const trainer = new EmbeddingTrainer({ intervalMs: 20, minNewTemplates: 4, minTemplates: 4, training }, registry);
  ctx.after(() => trainer.stop());
  const t = new LogTask(createLogClusterProcessor({ ...config, embeddings: trainer }));
  for (let w = 0; w < 4; w++) window(t, w, LINES.slice(0, 3));
  window(t, 4, LINES);
  assert.ok(t.events.every((e) => e.embeddingVersion === 'tfidf'));
  feed(trainer, t);

  const backend = await trainer.start();
  assert.match(await registry.metrics(), new RegExp(`fmeaflow_log_embedding_backend_info\\{backend="${backend}"\\} 1`));
  // The main thread keeps turning while the worker thread trains.
  let ticks = 0;
  let training_ = true;
  const spin = (): void => {
    ticks++;
    if (training_) setImmediate(spin);
  };
  setImmediate(spin);
  const [trained] = (await once(trainer, 'trained')) as [TrainedEvent];
  training_ = false;
  assert.notEqual(trained.threadId, threadId, 'tensorflow ran in a worker thread');
  assert.ok(ticks > 10, `the stream loop's thread was not blocked (${ticks} turns during training)`);
  assert.equal(trained.model.version, 1);
  assert.equal(trained.model.trainedOnTemplates, 5);
  assert.match(trained.embeddingVersion, /^lstm-ae-v1-[0-9a-f]{12}$/);
  assert.match(await registry.metrics(), /fmeaflow_log_embedding_trainings_total\{backend="\w+",outcome="trained"\} 1/);

  const before = t.events.length;
  window(t, 5, [...LINES.slice(0, 3), 'brake pressure sensor 2 out of range'], 40);
  window(t, 6, LINES.slice(0, 1));
  const after = t.events.slice(before);
  assert.ok(after.length > 0 && after.every((e) => e.embeddingVersion === trained.embeddingVersion), `events after training: ${after.map((e) => e.embeddingVersion)}`);
  assert.equal((t.changelog.get('emb') as { model: { sha: string } }).model.sha, trained.model.sha);

  // A restarted trainer learns the adopted version from the changelog and trains the next one.
  const again = new EmbeddingTrainer({ intervalMs: 60_000, training });
  ctx.after(() => again.stop());
  feed(again, t);
  await again.start();
  const next = await again.train(0);
  assert.equal(next?.version, 2);
});

test('a trainer held by the changelog follower trains nothing until released; a model too large for one changelog record is never offered', async (ctx) => {
  const registry = new client.Registry();
  const trainer = new EmbeddingTrainer({ intervalMs: 60_000, minNewTemplates: 4, minTemplates: 4, training }, registry);
  ctx.after(() => trainer.stop());
  const templates = LINES.slice(0, 4).map((l) => l.split(' '));
  trainer.holdUntilRestored();
  templates.forEach((tokens, i) => trainer.observeTemplate(0, i + 1, tokens, T0 + i));
  await trainer.start();
  // Held: the templates are there (enough to be due) but the model trained on them may still be ahead in the changelog.
  await trainer.trainDue();
  assert.equal(trainer.latest(0), undefined);
  const restored = once(trainer, 'restored');
  trainer.restored();
  await restored;
  await trainer.trainDue();
  const model = trainer.latest(0);
  assert.equal(model?.version, 1);

  // The same templates with a bound below that model's record: trained, measured, not offered, and not retried.
  const smallRegistry = new client.Registry();
  const small = new EmbeddingTrainer({ intervalMs: 60_000, minNewTemplates: 4, minTemplates: 4, training, maxModelBytes: modelRecordBytes(model!) - 1 }, smallRegistry);
  ctx.after(() => small.stop());
  templates.forEach((tokens, i) => small.observeTemplate(0, i + 1, tokens, T0 + i));
  await small.start();
  assert.equal(await small.train(0), undefined);
  assert.equal(small.latest(0), undefined, 'a record the changelog may refuse is not offered to the processor');
  await small.trainDue();
  assert.equal(small.latest(0), undefined);
  assert.match(await smallRegistry.metrics(), /fmeaflow_log_embedding_trainings_total\{backend="\w+",outcome="too_large"\} 1\n/, 'counted once: not retried on the same templates');
});

test('the trainer trains only the partitions the worker owns; a partition given up loses its offer and its training in flight, its new owner trains it when due', async (ctx) => {
  const trainer = new EmbeddingTrainer({ intervalMs: 60_000, minNewTemplates: 4, minTemplates: 4, training });
  ctx.after(() => trainer.stop());
  const templates = LINES.slice(0, 4).map((l) => l.split(' '));
  for (const p of [0, 1, 2]) templates.forEach((tokens, i) => trainer.observeTemplate(p, i + 1, tokens, T0 + i));
  await trainer.start();
  trainer.setOwnedPartitions([1]);
  // Two ticks while the training runs: one training.
  await Promise.all([trainer.trainDue(), trainer.trainDue()]);
  assert.equal(trainer.latest(0), undefined, 'partition 0 belongs to another worker');
  assert.equal(trainer.latest(2), undefined);
  assert.equal(trainer.latest(1)?.version, 1);
  assert.equal(await trainer.train(0), undefined, 'not even on request');

  // Partition 1 moves away while partition 2 trains; partition 2 moves away before its training ends.
  trainer.setOwnedPartitions([1, 2]);
  const inFlight = trainer.train(2);
  trainer.setOwnedPartitions([0]);
  assert.equal(await inFlight, undefined, 'a training finished after the partition left is not offered');
  assert.equal(trainer.latest(2), undefined);
  assert.equal(trainer.latest(1), undefined, 'the offer for a partition given up is withdrawn');

  // Partition 0 arrives with the model its previous owner trained in the changelog: not due until new templates come.
  trainer.observeModel(0, { version: 3, sha: 'a'.repeat(64), partition: 0, hiddenUnits: 1, tokenEmbeddingSize: 1, maxSequenceLength: 1, vocabulary: [], embeddings: '', kernel: '', recurrentKernel: '', bias: '', trainedOnTemplates: 4, finalLoss: 0, backend: 'cpu', maxTemplateId: 4 });
  await trainer.trainDue();
  assert.equal(trainer.latest(0), undefined, 'nothing new since the previous owner\'s model');
  LINES.concat(['brake pressure sensor 2 out of range', 'coolant pump duty 80 percent', 'seat heater relay open', 'tire pressure low front left']).slice(4).forEach((l, i) => trainer.observeTemplate(0, 5 + i, l.split(' '), T0 + 10 + i));
  await trainer.trainDue();
  assert.equal(trainer.latest(0)?.version, 4, 'the new owner continues the partition\'s versions');
});
