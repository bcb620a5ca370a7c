/**
 * Store and forward through a real outage: a private broker (own ports, so other tests are
 * untouched) is stopped for 60 s in the middle of a replay and started again. Every record
 * must arrive exactly once and in order per vehicle. FMEAFLOW_OUTAGE_S shortens the outage
 * for local runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { registryUrl } from '../../../streams/runtime/kafka/connection.ts';
import { startKafka, stopKafka } from '../../../streams/runtime/stack/kafka-server.ts';
import { PROJECT_ROOT, type KafkaInstanceConfig } from '../../../streams/runtime/stack/stack-config.ts';
import { KafkaSink } from '../../../vehicle-producer/publish/kafka-sink.ts';
import { ensureTopics, replayDrive } from '../../../vehicle-producer/publish/replay.ts';
import { uniqueTopics } from './helpers.ts';

const OUTAGE_MS = Number(process.env.FMEAFLOW_OUTAGE_S ?? 60) * 1000;

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(`broker stopped for ${OUTAGE_MS / 1000} s mid-replay: spooled records arrive exactly once, in order per vehicle`, { timeout: OUTAGE_MS + 240_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-outage-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const k: KafkaInstanceConfig = { host: '127.0.0.1', port, controllerPort: port + 1, dataDir: path.join(dir, 'data'), runDir: dir, heapMb: 512 };
  await startKafka(k);
  const brokers = [`127.0.0.1:${port}`];
  const topics = uniqueTopics('outage');
  await ensureTopics(brokers, topics, false);
  const sink = new KafkaSink({ brokers, spoolDir: path.join(dir, 'spool'), reconnectMs: 300, maxBatchRecords: 200 });
  t.after(async () => {
    await sink.close().catch(() => {});
    await stopKafka(k);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await sink.start();

  // About 15 s of wall time for the 120 s drive, so the outage falls in the middle of it.
  const replay = replayDrive({ drive: path.join(PROJECT_ROOT, 'drives', 'can-timeout'), topics, sink, speed: 8, sampleLogs: false });
  await until(() => sink.stats().sent > 500, 60_000, 'records reaching the broker');
  await stopKafka(k);
  await until(() => sink.stats().spooled > 0, 60_000, 'the producer to start spooling');
  await new Promise((r) => setTimeout(r, OUTAGE_MS)); // the outage itself, not a synchronisation
  await startKafka(k);
  const r = await replay;
  assert.ok(await sink.waitDrained(120_000), 'spool drained after the broker came back');
  const total = Object.values(r.records).reduce((a, b) => a + b, 0);
  const s = sink.stats();
  // possibleDuplicates > 0 means a batch left unacknowledged had to be re-sent by a new producer (no broker-side dedup).
  t.diagnostic(`sent ${s.sent}, spooled ${s.spooled}, re-sent by a new producer (possible duplicates) ${s.possibleDuplicates}`);
  assert.ok(s.spooled > 0, 'records went through the spool');
  assert.equal(s.spoolDropped, 0);

  const kafka = new kafkajs.Kafka({ clientId: 'outage-check', brokers, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `outage-${randomBytes(4).toString('hex')}` });
  const serde = createSerde({ registryUrl: registryUrl() });
  const got: { topic: string; key: string; partition: number; offset: number; value: Record<string, unknown> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, partition, message }) => void got.push({ topic, partition, offset: Number(message.offset), key: message.key!.toString(), value: (await serde.decode(topic, message.value!)) as Record<string, unknown> }) });
  await until(() => got.length >= total, 60_000, `${total} records`);
  // Duplicates would arrive after the originals: read on until the end offsets are reached.
  const admin = kafka.admin();
  await admin.connect();
  const ends = (await Promise.all(Object.values(topics).map(async (tp) => (await admin.fetchTopicOffsets(tp)).reduce((a, p) => a + Number(p.high), 0)))).reduce((a, b) => a + b, 0);
  await admin.disconnect();
  await until(() => got.length >= ends, 30_000, 'the end offsets');
  await consumer.disconnect();
  assert.equal(ends, total, `the topics hold exactly the records produced: none lost, none duplicated (sink counted ${s.possibleDuplicates} possible duplicates)`);
  assert.equal(got.length, total);
  const can = got.filter((g) => g.topic === topics.can);
  for (const vehicle of new Set(can.map((g) => g.key))) {
    const seqs = can.filter((g) => g.key === vehicle).sort((a, b) => a.offset - b.offset).map((g) => Number(g.value.seq));
    assert.deepEqual(seqs, seqs.map((_, i) => i), `${vehicle}: CAN batches in order without gaps`);
  }
});
