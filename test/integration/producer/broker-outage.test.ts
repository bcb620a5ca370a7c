/**
 * Store and forward through a real outage: a private broker (own ports, so other tests are
 * untouched) is stopped for 60 s in the middle of a replay and started again. The replay is
 * paced so it keeps producing through the whole outage and for about a minute after the
 * broker is back (records meet the draining spool). Every record of every topic
 * must arrive exactly once, in the order it was produced per key. FMEAFLOW_OUTAGE_S
 * shortens the outage for local runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKafka } from '../../../streams/runtime/kafka/client.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { registryUrl } from '../../../streams/runtime/kafka/connection.ts';
import { startKafka, stopKafka } from '../../../streams/runtime/stack/kafka-server.ts';
import { PROJECT_ROOT, type KafkaInstanceConfig } from '../../../streams/runtime/stack/stack-config.ts';
import { KafkaSink } from '../../../vehicle-producer/publish/kafka-sink.ts';
import { ensureTopics, replayDrive } from '../../../vehicle-producer/publish/replay.ts';
import { freePort } from '../../helpers/ports.ts';
import { uniqueTopics } from './helpers.ts';

const OUTAGE_MS = Number(process.env.FMEAFLOW_OUTAGE_S ?? 60) * 1000;
/** The 120 s drive is paced to last the outage plus a minute: about 10 s before it, the rest after the broker is back. */
const DRIVE_MS = 120_000;
const SPEED = DRIVE_MS / (OUTAGE_MS + 60_000);

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const digest = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

test(`broker stopped for ${OUTAGE_MS / 1000} s mid-replay: records produced during and after the outage arrive exactly once, in order per key on every topic`, { timeout: OUTAGE_MS + 300_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-outage-'));
  const port = await freePort();
  const k: KafkaInstanceConfig = { host: '127.0.0.1', port, controllerPort: await freePort(), dataDir: path.join(dir, 'data'), runDir: dir, heapMb: 512 };
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

  // What the replay hands the sink, in order, per topic and key: the order every topic must keep.
  const produced = new Map<string, string[]>();
  let handed = 0;
  const send = sink.send.bind(sink);
  sink.send = (topic, key, value) => {
    handed++;
    const k2 = `${topic}\u0000${key}`;
    let l = produced.get(k2);
    if (!l) produced.set(k2, (l = []));
    l.push(digest(value));
    return send(topic, key, value);
  };
  let replayDone = false;
  const replay = replayDrive({ drive: path.join(PROJECT_ROOT, 'drives', 'can-timeout'), topics, sink, speed: SPEED, sampleLogs: false }).finally(() => {
    replayDone = true;
  });
  await until(() => sink.stats().sent > 500, 60_000, 'records reaching the broker');
  await stopKafka(k);
  await until(() => sink.stats().spooled > 0, 60_000, 'the producer to start spooling');
  const spooledAtOutageStart = sink.stats().spooled;
  await new Promise((r) => setTimeout(r, OUTAGE_MS)); // the outage itself, not a synchronisation
  const spooledDuringOutage = sink.stats().spooled - spooledAtOutageStart;
  assert.equal(replayDone, false, 'the replay is still producing at the end of the outage');
  assert.ok(spooledDuringOutage > 1000, `records produced during the outage went to the spool (${spooledDuringOutage})`);
  await startKafka(k);
  const spooledAtRestart = sink.stats().spooled;
  const handedAtRestart = handed;
  assert.equal(replayDone, false, 'the replay is still producing when the broker is back, so new records meet the spool draining');
  const r = await replay;
  // The replay went on for about a minute after the broker came back: the order check below covers records spooled during
  // the outage and records produced after it, on the same keys. How many of the latter queued behind the draining spool
  // depends on how fast the spool drains against the replay's pace (on a quiet machine it can be done before the next
  // batch), so it is reported, not asserted; the queue-behind rule itself is covered by spool-forward.test.ts.
  assert.ok(handed - handedAtRestart > 1000, `the replay produced records after the restart (${handed - handedAtRestart})`);
  t.diagnostic(`records spooled after the broker was back (queued behind the draining spool): ${sink.stats().spooled - spooledAtRestart}`);
  assert.ok(await sink.waitDrained(120_000), 'spool drained after the broker came back');
  const total = Object.values(r.records).reduce((a, b) => a + b, 0);
  const s = sink.stats();
  // possibleDuplicates > 0 means a batch left unacknowledged had to be re-sent by a new producer (no broker-side dedup).
  t.diagnostic(`speed ${SPEED.toFixed(2)}: sent ${s.sent}, spooled ${s.spooled} (${spooledDuringOutage} during the outage), re-sent by a new producer (possible duplicates) ${s.possibleDuplicates}`);
  assert.equal(s.spoolDropped, 0);

  const kafka = createKafka('outage-check', brokers, 8, true);
  const consumer = kafka.consumer({ groupId: `outage-${randomBytes(4).toString('hex')}` });
  const serde = createSerde({ registryUrl: registryUrl() });
  const got: { topic: string; key: string; partition: number; offset: number; digest: string; value: Record<string, unknown> }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: Object.values(topics), fromBeginning: true });
  await consumer.run({ eachMessage: async ({ topic, partition, message }) => void got.push({ topic, partition, offset: Number(message.offset), key: message.key!.toString(), digest: digest(message.value!), value: (await serde.decode(topic, message.value!)) as Record<string, unknown> }) });
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

  // Every topic, every key: the broker holds exactly the produced sequence, in produce order.
  const held = new Map<string, typeof got>();
  for (const g of got) {
    const k2 = `${g.topic}\u0000${g.key}`;
    let l = held.get(k2);
    if (!l) held.set(k2, (l = []));
    l.push(g);
  }
  assert.deepEqual([...held.keys()].sort(), [...produced.keys()].sort(), 'the same topic/key pairs');
  const perTopic = new Map<string, number>();
  for (const [k2, recs] of held) {
    assert.equal(new Set(recs.map((x) => x.partition)).size, 1, `${k2}: one partition per key`);
    const order = recs.sort((a, b) => a.offset - b.offset).map((x) => x.digest);
    assert.deepEqual(order, produced.get(k2), `${k2.replace('\u0000', ' / ')}: records in produce order, none missing or repeated`);
    const topic = k2.split('\u0000')[0]!;
    perTopic.set(topic, (perTopic.get(topic) ?? 0) + recs.length);
  }
  for (const tp of [topics.can, topics.metrics, topics.spans, topics.logs]) assert.ok((perTopic.get(tp) ?? 0) > 0, `${tp} was checked`);
  const can = got.filter((g) => g.topic === topics.can);
  for (const vehicle of new Set(can.map((g) => g.key))) {
    const seqs = can.filter((g) => g.key === vehicle).sort((a, b) => a.offset - b.offset).map((g) => Number(g.value.seq));
    assert.deepEqual(seqs, seqs.map((_, i) => i), `${vehicle}: CAN batches in order without gaps`);
  }
});
