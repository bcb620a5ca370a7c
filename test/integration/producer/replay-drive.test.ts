/**
 * Replaying a committed drive to the real broker and registry: every record arrives,
 * decodes with the registered schema, is keyed by vehicle, and CAN batches keep their
 * per-vehicle sequence; fan-out multiplies vehicles; the bandwidth cap's drops are
 * reported in the batches' droppedFrames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayDrive } from '../../../vehicle-producer/publish/replay.ts';
import { readDriveEntry } from '../../../vehicle-producer/drive/drive-manifest.ts';
import { consumeAll, uniqueTopics } from './helpers.ts';

test('drive → Kafka → decoded records: counts, keys, batch order, sampling, fan-out', async () => {
  const topics = uniqueTopics('replay');
  const d = readDriveEntry('drives/can-timeout');
  const r = await replayDrive({ drive: 'drives/can-timeout', topics, fanOut: 2, speed: 'max' });
  assert.equal(r.inputErrors, 0);
  assert.equal(r.frames, d.counts.frames * 2);
  assert.equal(r.records.metrics, d.counts.metrics * 2);
  assert.equal(r.records.spans, d.counts.spans * 2);
  assert.equal(r.records.logs + r.logsSampledOut, d.counts.logs * 2);
  assert.ok(r.logsSampledOut > 0);
  const total = Object.values(r.records).reduce((a, b) => a + b, 0);
  assert.equal(r.sink!.sent, total);
  const got = await consumeAll(Object.values(topics), total);
  assert.equal(got.length, total, 'every record exactly once');
  const can = got.filter((g) => g.topic === topics.can);
  const frames = can.reduce((a, g) => a + (g.value.frames as unknown[]).length, 0);
  assert.equal(frames, r.frames);
  const vehicles = new Set(can.map((g) => g.key));
  assert.equal(vehicles.size, 8);
  for (const v of vehicles) {
    const batches = can.filter((g) => g.key === v).sort((a, b) => Number(a.offset) - Number(b.offset));
    assert.deepEqual(batches.map((b) => Number(b.value.seq)), batches.map((_, i) => i), `${v}: batch seq out of order`);
    assert.ok(batches.every((b) => b.value.vehicleId === v && Number(b.value.batchEndUs) - Number(b.value.batchStartUs) === 100_000));
  }
  const logs = got.filter((g) => g.topic === topics.logs);
  assert.ok(logs.every((l) => (l.value.level === 'ERROR' ? l.value.samplingRate === 1 : (l.value.samplingRate as number) >= 0.1 && (l.value.samplingRate as number) <= 1)));
  // error rate on the affected vehicles rises → their sampling rate rises above the base 0.1
  assert.ok(logs.some((l) => l.value.level !== 'ERROR' && (l.value.samplingRate as number) > 0.1));
});

test('bandwidth cap drops frames and reports them in droppedFrames', async () => {
  const topics = uniqueTopics('bw');
  // ~50 frames/s × 24 bytes ≈ 1200 B/s per vehicle: a 600 B/s cap must drop about half
  const r = await replayDrive({ drive: 'drives/clean', topics, bandwidthBps: 600, speed: 'max', sampleLogs: false });
  assert.ok(r.droppedFrames > 0);
  const got = await consumeAll([topics.can], r.records.can);
  const dropped = got.reduce((a, g) => a + Number(g.value.droppedFrames), 0);
  const kept = got.reduce((a, g) => a + (g.value.frames as unknown[]).length, 0);
  // drops after a vehicle's last batch have no batch to ride on
  assert.ok(dropped <= r.droppedFrames && dropped > 0.9 * r.droppedFrames, `${dropped} reported of ${r.droppedFrames}`);
  assert.equal(kept + r.droppedFrames, r.frames);
});

test('a value that does not match the schema is refused with the field named', async () => {
  const { createRecordEncoder } = await import('../../../vehicle-producer/publish/avro-encoder.ts');
  const { registryUrl } = await import('../../../streams/runtime/kafka/connection.ts');
  const enc = await createRecordEncoder(registryUrl(), uniqueTopics('enc'));
  const ok = enc.encode('metrics', { vehicleId: 'V', name: 'm', labels: {}, kind: 'GAUGE', timestampMs: 1, value: 1, histogram: null, unit: null });
  assert.equal(ok[0], 0, 'Confluent magic byte');
  assert.throws(() => enc.encode('metrics', { vehicleId: 'V', name: 'm', labels: {}, kind: 'GAUGE', timestampMs: 'now', value: 1, histogram: null, unit: null }), (e: unknown) => {
    assert.equal((e as { code?: string }).code, 'SERDE_SCHEMA_MISMATCH');
    assert.match((e as Error).message, /timestampMs/);
    return true;
  });
});
