/**
 * The background embedding trainer on the real broker and registry, wired as `fmeaflow worker`
 * wires it (trainer created before the topology, changelog sidecar started after runWorker): it
 * follows the log-cluster processor's live changelog, trains a partition's encoder in a worker
 * thread once enough templates are there, the processor adopts it at the next window close, and a
 * restarted worker continues with the same weights from its changelog. With two workers in the
 * group, a due partition is trained by the worker that owns it only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import client from 'prom-client';
import { namespaceProcessor, topicNamespace } from '../../../bench/lib/namespaced-topics.ts';
import { DEFAULT_TREND_OPTIONS } from '../../../streams/processors/logs/cluster-trends.ts';
import type { LogClusterEvent } from '../../../streams/processors/logs/log-cluster-event.ts';
import { createLogClusterProcessor, LOG_CLUSTER_PROCESSOR_NAME } from '../../../streams/processors/logs/log-cluster-processor.ts';
import { StoreKeys } from '../../../streams/processors/logs/log-store.ts';
import type { Processor } from '../../../streams/processors/processor.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { appResources, deleteAppResources } from '../../../streams/runtime/admin/app-resources.ts';
import { provisionTopics } from '../../../streams/runtime/admin/topic-provisioner.ts';
import { createKafka } from '../../../streams/runtime/kafka/client.ts';
import { changelogTopic } from '../../../streams/runtime/kafka/internal-topics.ts';
import { runWorker, type Worker } from '../../../streams/runtime/kafka/worker.ts';
import { followOutputs } from '../../../streams/runtime/live/output-feed.ts';
import type { EmbeddingTrainer, TrainedEvent } from '../../../streams/runtime/logs/embedding-trainer.ts';
import { createEmbeddingTrainer, logClusterOwnership, startLogClusterSidecar } from '../../../streams/runtime/logs/log-embeddings.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { stackEndpoints } from '../../../streams/runtime/stack/stack.ts';
import { produceAll, readAll, testProducer, waitFor } from '../../helpers/kafka.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

const WINDOW_MS = 10_000;
const CLOSE_DELAY_MS = 1_000;
const T0 = 1_764_000_000_000 - (1_764_000_000_000 % WINDOW_MS);
const PARTITION = 1;
const VEHICLE = 'VIN-EMB-1';

// One token count per line: Drain never merges lines of different lengths, so each line is its own template.
const FIRST_TEMPLATES = [
  'watchdog kick ok',
  'heartbeat from ecu 7',
  'bus voltage 11800 mV nominal',
  'door lock actuator stalled at 3',
  'fan speed 3000 rpm out of range',
  'gateway forwarded frame 0x2A3 to the body bus',
  'battery management system reports cell 12 temperature 41 C',
  'telematics unit lost cellular link after 30 s retrying now',
];
const SECOND_WINDOW_NEW = 'brake pressure sensor 2 reading 180 bar outside the calibrated band ok';
const AFTER_RESTART_NEW = 'infotainment head unit rebooted after kernel watchdog fired on core 1 during boot';
// Training on the 8 templates of the first window, small enough for seconds on the pure-JS backend.
const TRAINER = { intervalMs: 200, minTemplates: FIRST_TEMPLATES.length, minNewTemplates: FIRST_TEMPLATES.length, maxTemplates: 200, training: { epochs: 1, batchSize: 8 } };

/** `p`, or a failure naming `what` after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)));
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

test('the trainer follows the live changelog, trains in a worker thread, the processor adopts the model and keeps it across a worker restart', { timeout: 180_000 }, async (t) => {
  const lengths = [...FIRST_TEMPLATES, SECOND_WINDOW_NEW, AFTER_RESTART_NEW].map((l) => l.split(' ').length);
  assert.equal(new Set(lengths).size, lengths.length, 'every test line has its own token count');

  const { brokers, registryUrl } = stackEndpoints();
  const schemasDir = path.join(PROJECT_ROOT, 'schemas');
  const ns = `it-logemb-${Date.now().toString(36)}`;
  const n = topicNamespace(ns);
  const specs = n.specs.filter((s) => [Topics.logs, Topics.logClusters, Topics.drift, Topics.late, Topics.dlq].map(n.out).includes(s.name));
  const catalog = specs.map((s) => ({ name: s.name, schema: s.schema }));
  const kafka = createKafka(`${ns}-test`, brokers);
  const serde = createSerde({ registryUrl, schemasDir });

  /** The worker command's wiring with injected trainer options: trainer, topology reading it, worker, changelog sidecar. */
  async function startWorker(instanceId: string): Promise<{ trainer: EmbeddingTrainer; registry: client.Registry; trained: TrainedEvent[]; restored: Promise<unknown>; worker: Worker; stop: () => Promise<void> }> {
    const registry = new client.Registry();
    const trainer = createEmbeddingTrainer(TRAINER, registry);
    const trained: TrainedEvent[] = [];
    trainer.on('trained', (e: TrainedEvent) => trained.push(e));
    const restored = once(trainer, 'restored');
    const processor = namespaceProcessor(
      createLogClusterProcessor({ windowMs: WINDOW_MS, closeDelayMs: CLOSE_DELAY_MS, allowedLatenessMs: 0, trends: { ...DEFAULT_TREND_OPTIONS, warmupWindows: 0 }, embeddings: trainer }),
      n,
    );
    processors.push(processor);
    const worker = await runWorker({
      app: ns, processors: [processor], brokers, registryUrl, schemasDir, catalog, instanceId, metricsRegistry: registry, handleSignals: false, startFrom: 'earliest',
      sessionTimeoutMs: 6000, lateTopic: n.out(Topics.late), dlqTopic: n.out(Topics.dlq),
    });
    running.push(worker);
    const stopSidecar = await startLogClusterSidecar({ app: ns, metrics: worker.metrics, trainer, ownership: logClusterOwnership(worker, ns), brokers });
    sidecars.push(stopSidecar);
    return { trainer, registry, trained, restored, worker, stop: async () => {
      await stopSidecar();
      sidecars.splice(sidecars.indexOf(stopSidecar), 1);
      await worker.stop();
      running.splice(running.indexOf(worker), 1);
    } };
  }

  const processors: Processor<any, any>[] = [];
  const running: Worker[] = [];
  const sidecars: Array<() => Promise<void>> = [];
  let feed: Awaited<ReturnType<typeof followOutputs>> | undefined;
  // One hook: feed, sidecars and workers stop before the private topics, internal topics and subjects go.
  t.after(async () => {
    await feed?.stop().catch(() => undefined);
    for (const stop of sidecars) await stop().catch(() => undefined);
    for (const w of running) await w.stop().catch(() => undefined);
    const a = kafka.admin();
    await a.connect();
    await deleteAppResources(a, appResources(ns, processors.slice(0, 1))).catch(() => undefined);
    await a.deleteTopics({ topics: specs.map((s) => s.name) }).catch(() => undefined);
    await a.disconnect();
    for (const s of specs) await fetch(`${registryUrl}/subjects/${encodeURIComponent(`${s.name}-value`)}`, { method: 'DELETE' }).catch(() => undefined);
  });

  const admin = kafka.admin();
  await admin.connect();
  try {
    await provisionTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
  await serde.registerAll(catalog);

  const events: LogClusterEvent[] = [];
  feed = await followOutputs(kafka, serde, [n.out(Topics.logClusters)], (r) => events.push(r.value as LogClusterEvent), { fromBeginning: true });
  const producer = await testProducer(t, kafka);
  const logs = n.out(Topics.logs);
  const line = (body: string, timestampMs: number, partition = PARTITION) => ({
    key: VEHICLE, partition,
    value: serde.encodeSync(logs, { vehicleId: VEHICLE, service: 'ecu', serviceVersion: null, level: 'INFO', body, timestampMs, traceId: null, spanId: null, attributes: {}, samplingRate: 1 }),
  });
  const windowStart = (w: number) => T0 + w * WINDOW_MS;
  /** `repeat` lines of each body in window `w`, then one line in window w + 1 that moves the watermark past w's close. */
  const sendWindow = (w: number, bodies: readonly string[], repeat: number) =>
    produceAll(producer, logs, [
      ...bodies.flatMap((b, i) => Array.from({ length: repeat }, (_, k) => line(b, windowStart(w) + 1500 + (i * repeat + k) * 50))),
      line(FIRST_TEMPLATES[0]!, windowStart(w + 1) + CLOSE_DELAY_MS + 500),
    ]);
  const eventsOf = (w: number) => events.filter((e) => e.windowStartMs === windowStart(w));
  const started = Date.now();

  // 1. Eight templates, one window: TF-IDF vectors until the trainer has a model.
  const first = await startWorker('emb-w1');
  const trainedOnce = once(first.trainer, 'trained') as Promise<[TrainedEvent]>;
  await sendWindow(0, FIRST_TEMPLATES, 3);
  await waitFor(() => eventsOf(0).length > 0, { timeoutMs: 60_000, what: 'the first window\'s cluster events' });
  assert.ok(eventsOf(0).every((e) => e.embeddingVersion === 'tfidf' && e.partition === PARTITION), `before any model: ${JSON.stringify(eventsOf(0).map((e) => [e.partition, e.embeddingVersion]))}`);

  // 2. The trainer read the partition's templates from the changelog and trained off the main thread.
  const [trained] = await within(trainedOnce, 60_000, 'the trainer to train on the changelog templates');
  assert.notEqual(trained.threadId, threadId, 'tensorflow ran in a worker thread');
  assert.equal(trained.partition, PARTITION);
  assert.equal(trained.model.version, 1);
  assert.equal(trained.model.trainedOnTemplates, FIRST_TEMPLATES.length, 'trained on the eight templates the changelog holds');
  for (const l of FIRST_TEMPLATES) assert.ok(trained.model.vocabulary.includes(l.split(' ')[0]!), `vocabulary has "${l.split(' ')[0]}"`);
  assert.match(trained.embeddingVersion, /^lstm-ae-v1-[0-9a-f]{12}$/);
  assert.match(await first.registry.metrics(), /fmeaflow_log_embedding_trainings_total\{backend="\w+",outcome="trained"\} 1/);

  // 3. The next window close adopts it: its events carry the model's version, the changelog holds the weights.
  await sendWindow(1, [...FIRST_TEMPLATES, SECOND_WINDOW_NEW], 2);
  await waitFor(() => eventsOf(1).length > 0, { timeoutMs: 60_000, what: 'the second window\'s cluster events' });
  assert.ok(eventsOf(1).every((e) => e.embeddingVersion === trained.embeddingVersion), `after training: ${JSON.stringify(eventsOf(1).map((e) => [e.eventType, e.embeddingVersion]))} (want ${trained.embeddingVersion})`);
  const changelog = changelogTopic(ns, LOG_CLUSTER_PROCESSOR_NAME);
  const stored = (await readAll(changelog)).filter((r) => r.partition === PARTITION && r.key?.toString() === StoreKeys.embedding && r.value !== null);
  assert.equal(stored.length, 1, 'one model record in the changelog');
  const record = JSON.parse(stored[0]!.value!.toString()) as { model: { sha: string; version: number } };
  assert.equal(record.model.sha, trained.model.sha);
  const bytes = stored[0]!.value!.length;
  process.stderr.write(`embedding model record: ${bytes} bytes (${trained.model.vocabulary.length} vocabulary tokens, ${trained.model.trainedOnTemplates} templates, hiddenUnits ${trained.model.hiddenUnits}, tokenEmbeddingSize ${trained.model.tokenEmbeddingSize}); trained in ${trained.ms} ms\n`);
  assert.ok(bytes < 1024 * 1024, `the model record (${bytes} B) fits the broker's default 1 MiB message limit`);

  // 4. After a restart, the new trainer reads the stored model's version and templates from the changelog: nothing is
  // due (one new template since the model), and the restored partition's next window keeps the model's version.
  await first.stop();
  const second = await startWorker('emb-w2');
  await within(second.restored, 60_000, 'the restarted trainer to read the changelog');
  await second.trainer.trainDue();
  assert.equal(second.trainer.latest(PARTITION), undefined, 'the restarted trainer does not retrain what the processor has');
  await sendWindow(2, [...FIRST_TEMPLATES, SECOND_WINDOW_NEW, AFTER_RESTART_NEW], 2);
  await waitFor(() => eventsOf(2).length > 0, { timeoutMs: 60_000, what: 'the cluster events of the window after the restart' });
  assert.ok(eventsOf(2).every((e) => e.embeddingVersion === trained.embeddingVersion), `after restart: ${JSON.stringify(eventsOf(2).map((e) => [e.eventType, e.embeddingVersion]))} (want ${trained.embeddingVersion})`);
  await second.trainer.trainDue();
  assert.deepEqual(second.trained, [], 'no training after the restart');
  assert.doesNotMatch(await second.registry.metrics(), /fmeaflow_log_embedding_trainings_total\{/);

  // 5. A second worker joins the group: each trainer trains only the partitions its runner is assigned. Eight new
  // templates make another partition due; both workers follow its changelog, only its owner trains it.
  const third = await startWorker('emb-w3');
  const assigned = (w: { worker: Worker }) => w.worker.runners[0]!.assignedPartitions;
  const partitions = specs.find((s) => s.name === logs)!.partitions;
  await waitFor(() => {
    const a = assigned(second);
    const b = assigned(third);
    return a.length > 0 && b.length > 0 && new Set([...a, ...b]).size === partitions && a.length + b.length === partitions;
  }, { timeoutMs: 60_000, what: 'the two workers to split the partitions' });
  for (const w of [second, third]) {
    for (let p = 0; p < partitions; p++) assert.equal(w.trainer.owns(p), assigned(w).includes(p), `trainer ownership of partition ${p} follows the runner's assignment`);
  }
  await within(third.restored, 60_000, 'the joining trainer to read the changelog');
  const other = (PARTITION + 1) % partitions;
  const [owner, bystander] = assigned(second).includes(other) ? [second, third] : [third, second];
  const ownerTrained = owner.trained.length;
  // The empty line last: the bystander's gauge of empty lines shows it has followed the partition's templates.
  await produceAll(producer, logs, [...FIRST_TEMPLATES.map((b, i) => line(b, windowStart(3) + 1500 + i * 50, other)), line('', windowStart(3) + 2000, other)]);
  await waitFor(() => owner.trained.slice(ownerTrained).some((e) => e.partition === other), { timeoutMs: 60_000, what: `partition ${other}'s owner to train it` });
  const emptySeen = new RegExp(`fmeaflow_log_input_lines\\{partition="${other}",kind="empty"\\} 1`);
  await waitFor(async () => emptySeen.test(await bystander.registry.metrics()), { timeoutMs: 30_000, what: `the other worker to follow partition ${other}'s changelog` });
  await Promise.all([bystander.trainer.trainDue(), owner.trainer.trainDue()]);
  assert.deepEqual(bystander.trained.map((e) => e.partition), [], 'the worker that does not own a due partition does not train it');
  assert.deepEqual(owner.trained.slice(ownerTrained).map((e) => e.partition), [other], 'its owner trains it once');
  process.stderr.write(`embedding trainer broker test: ${Date.now() - started} ms from first worker start\n`);
});
