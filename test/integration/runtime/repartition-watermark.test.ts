/**
 * Repartitioned input on the real broker: one input partition's router has a large backlog while the
 * other partition runs far ahead in event time; the fleet-wide stage behind the repartition topic
 * waits for the lagging partition instead of dropping its records as late.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWorker, type Worker } from '../../../streams/runtime/kafka/worker.ts';
import { repartitionTopic } from '../../../streams/runtime/kafka/internal-topics.ts';
import { createRouter, readRepartitioned } from '../../../streams/processors/repartition.ts';
import { windowedCount, type WindowCount } from '../../../streams/processors/testing/windowed-count.ts';
import { produceAll, readAll, testProducer, waitFor } from '../../helpers/kafka.ts';
import { runtimeApp } from '../../helpers/runtime-app.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

/** Records of the lagging partition (one a second of event time) and of the one running ahead. */
const LAGGING = 6_000;
const AHEAD = 1_000;
// ~1.3 KB per record on the lagging partition: each fetch returns ~1 MB of it, so its router stays
// behind for several batches while the other partition's small records arrive in one.
const PAD = 'x'.repeat(1_200);
const metric = (vehicleId: string, timestampMs: number, pad: boolean) => ({ vehicleId, name: 'speed', labels: pad ? { pad: PAD } : {}, kind: 'GAUGE', timestampMs, value: 1, histogram: null, unit: null });

test('a lagging input partition behind a repartition topic: the fleet stage drops none of its records as late', async (t) => {
  const { input, output, late, dlq, catalog, serde, app } = await runtimeApp(t, 'rw', { input: 2 });
  const rep = repartitionTopic(app, 'fleet');
  const router = createRouter<{ vehicleId: string; timestampMs: number }>({ name: 'route-fleet', inputTopics: [input], outputTopic: rep, keyOf: (v) => v.vehicleId, eventTimeMs: (v) => v.timestampMs });
  const fleet = readRepartitioned(windowedCount({ input: input, output: output, windowMs: 10_000, allowedLatenessMs: 1_000 }), rep, 'fleet-count');

  const w: Worker = await runWorker({ app, processors: [router, fleet], catalog, lateTopic: late, dlqTopic: dlq, instanceId: 'w1', repartitionPartitions: 1, handleSignals: false, sessionTimeoutMs: 6000 });
  t.after(() => w.stop());
  let fleetRecords = 0;
  let laggingBatches = 0;
  w.on('committed', (e: { processor: string; partition: number; records: number }) => {
    if (e.processor === 'fleet-count') fleetRecords += e.records;
    if (e.processor === 'route-fleet' && e.partition === 1 && e.records > 0) laggingBatches++;
  });
  const producer = await testProducer(t);
  const enc = (p: number, ts: number) => ({ key: `v${p}`, partition: p, value: serde.encodeSync(input, metric(`v${p}`, ts, p === 1)) });

  // Both partitions start together, so the fleet stage knows of both.
  await produceAll(producer, input, [enc(0, 0), enc(1, 0)]);
  await waitFor(() => fleetRecords >= 2, { what: 'the fleet stage to see both partitions start' });
  // Partition 1 gets a backlog of ~8 MB; once its router is working through it, partition 0's consumer is caught up
  // and its records run ahead of everything partition 1 holds (a fleet where one input partition's consumer lags).
  const backlog = Array.from({ length: LAGGING }, (_, i) => enc(1, (i + 1) * 1000));
  const batchesBefore = laggingBatches;
  await produceAll(producer, input, backlog, 100);
  await waitFor(() => laggingBatches > batchesBefore, { what: 'the router to start on partition 1' });
  await produceAll(producer, input, Array.from({ length: AHEAD }, (_, i) => enc(0, (LAGGING + i + 1) * 1000)));
  const total = 2 + LAGGING + AHEAD;
  await waitFor(() => fleetRecords >= total, { timeoutMs: 120_000, what: `the fleet stage to process ${total} records` });
  await w.stop();

  const lateRecords = await readAll(late);
  const lateValues = await Promise.all(lateRecords.slice(0, 3).map(async (l) => (await serde.decode(late, l.value!)) as { key?: string; sourceOffset: number; eventTimeMs: number; watermarkMs: number }));
  assert.equal(lateRecords.length, 0, `late records: ${lateRecords.length}, first: ${JSON.stringify(lateValues.map((l, i) => ({ key: lateRecords[i]!.key?.toString() ?? null, offset: l.sourceOffset, eventTimeMs: l.eventTimeMs, watermarkMs: l.watermarkMs })))}`);
  const windows = (await readAll(output)).map((r) => JSON.parse(r.value!.toString()) as WindowCount);
  // Every window of the lagging partition holds all of its records (10 per 10 s window; its last one has 1).
  const lagging = windows.filter((x) => x.key === 'v1' && x.startMs < LAGGING * 1000);
  assert.ok(lagging.length >= LAGGING / 10 - 1, `windows of the lagging partition closed: ${lagging.length}`);
  assert.ok(lagging.every((x) => x.count === 10), `window counts: ${JSON.stringify(lagging.filter((x) => x.count !== 10).slice(0, 3))}`);
});
