/**
 * Store and forward against the real broker without touching it: the producer starts on
 * a broker address where nothing listens, spools everything to disk, is then pointed at
 * the real broker and forwards — every record exactly once and in order per vehicle. Records
 * handed over while the spool drains queue behind it instead of overtaking it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replayDrive, ensureTopics } from '../../../vehicle-producer/publish/replay.ts';
import { KafkaSink } from '../../../vehicle-producer/publish/kafka-sink.ts';
import { brokers } from '../../../streams/runtime/kafka/connection.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { closedPort, consumeAll, uniqueTopics } from './helpers.ts';

test('broker down → spool on disk → broker back → all records once, in order per vehicle', async (t) => {
  const topics = uniqueTopics('spool');
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-it-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await ensureTopics(brokers(), topics, false);
  const sink = new KafkaSink({ brokers: [`127.0.0.1:${await closedPort()}`], spoolDir: dir, reconnectMs: 300, maxBatchRecords: 200 });
  t.after(() => sink.close());
  await sink.start();
  assert.equal(sink.stats().mode, 'spooling');

  let vehicle: string | undefined;
  const r = await replayDrive({ drive: 'drives/can-timeout', topics, sink, speed: 'max', sampleLogs: false, onRecord: (topic, key) => void (topic === topics.metrics && (vehicle ??= key)) });
  const total = Object.values(r.records).reduce((a, b) => a + b, 0);
  let s = sink.stats();
  assert.equal(s.sent, 0);
  assert.equal(s.spooled, total);
  assert.equal(s.spoolPending, total);
  assert.equal(s.spoolDropped, 0);
  assert.ok(readdirSync(dir).length > 0, 'spool segments on disk');

  // Newer points of a spooled vehicle, flushed while the switch connects: the sink's lock runs the flush after the
  // connect and before the first spooled batch, so they meet a full spool and must queue behind it.
  const serde = createSerde();
  await serde.registerAll([{ name: topics.metrics, schema: 'metric.avsc' }]);
  assert.ok(vehicle, 'the drive has metrics');
  const extra = Array.from({ length: 50 }, (_, i) => serde.encodeSync(topics.metrics, { vehicleId: vehicle!, name: 'late_probe', labels: {}, kind: 'GAUGE', timestampMs: 4_102_444_800_000 + i, value: i, histogram: null, unit: null }));
  const switching = sink.switchBrokers(brokers());
  for (const v of extra) await sink.send(topics.metrics, vehicle!, v);
  await sink.flush();
  await switching;
  assert.equal(sink.stats().spooled, total + extra.length, 'records handed over while the spool drained were queued behind it');
  assert.ok(await sink.waitDrained(60_000), 'spool did not drain');
  s = sink.stats();
  assert.equal(s.sent, total + extra.length);
  assert.equal(s.spoolPending, 0);
  assert.equal(readdirSync(dir).length, 0, 'spool segments deleted after forwarding');

  const got = await consumeAll(Object.values(topics), total + extra.length);
  assert.equal(got.length, total + extra.length, 'exactly once: no record lost or duplicated');
  // The vehicle's metrics end with the 50 handed-over points, in order: none overtook a spooled record.
  const mine = got.filter((g) => g.topic === topics.metrics && g.key === vehicle).sort((a, b) => Number(a.offset) - Number(b.offset));
  assert.deepEqual(mine.slice(-extra.length).map((g) => g.value.value), extra.map((_, i) => i));
  assert.ok(mine.length > extra.length, `${vehicle} had spooled metrics before the handed-over points`);
  const byKey = new Map<string, typeof got>();
  for (const g of got) {
    const k = `${g.topic}|${g.key}`;
    if (!byKey.has(k)) byKey.set(k, []);
    byKey.get(k)!.push(g);
  }
  for (const [k, list] of byKey) {
    list.sort((a, b) => Number(a.offset) - Number(b.offset));
    assert.ok(new Set(list.map((l) => l.partition)).size === 1, `${k} spread over partitions`);
    if (k.startsWith(topics.can)) assert.deepEqual(list.map((l) => Number(l.value.seq)), list.map((_, i) => i), `${k}: CAN batches out of order`);
    if (k.startsWith(topics.metrics) || k.startsWith(topics.logs)) {
      const ts = list.map((l) => Number(l.value.timestampMs));
      assert.ok(ts.every((x, i) => i === 0 || x >= ts[i - 1]!), `${k}: out of event-time order`);
    }
  }
});
