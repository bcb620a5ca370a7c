/**
 * The replay runtime's file inputs besides JSONL: Avro object container files (written here with avsc's
 * own container encoder, the reference implementation) and candump logs (text written by hand in the
 * can-utils `-L` format), each played through a processor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { avroContainerRecords } from '../../../streams/runtime/replay/avro-container.ts';
import { candumpRecords } from '../../../vehicle-producer/publish/recorded-records.ts';
import { replay } from '../../../streams/runtime/replay/replay.ts';
import { countPerKey } from '../../../streams/processors/testing/count-per-key.ts';
import { createCanFeaturesProcessor } from '../../../streams/processors/can/can-features.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { ErrorCodes } from '../../../streams/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'replay-inputs-'));
/**
 * Writes an Avro container file with avsc's own block encoder. Not avro.createFileEncoder: its 'finish' is the encoder's,
 * not the file stream's, so the file could still be empty when read (seen failing on Node 22: 0 records instead of 30).
 */
async function writeContainer(file: string, schema: avro.Schema, values: readonly unknown[]): Promise<void> {
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const enc = new avro.streams.BlockEncoder(avro.Type.forSchema(schema));
    enc.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve()).on('error', reject);
    for (const v of values) enc.write(v);
    enc.end();
  });
  writeFileSync(file, Buffer.concat(chunks));
}

const metric = (vehicleId: string, timestampMs: number) => ({ vehicleId, name: 'speed', labels: {}, kind: 'GAUGE', timestampMs, value: 1, histogram: null, unit: null });

test('an Avro container file replays as records keyed by a field of each value', async () => {
  const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'metric.avsc'), 'utf8')) as avro.Schema;
  const file = join(dir, 'metrics.avro');
  const values = Array.from({ length: 30 }, (_, i) => metric(`V${i % 3}`, 1_700_000_000_000 + i));
  await writeContainer(file, schema, values);
  const recs = await avroContainerRecords(file, 'metrics', 'vehicleId');
  assert.equal(recs.length, 30);
  assert.deepEqual(recs.map((r) => r.key), values.map((v) => v.vehicleId));
  const out = replay([countPerKey({ input: 'metrics', output: 'counts' })], recs, { partitions: { metrics: 2 } }).outputs.counts!;
  for (const k of ['V0', 'V1', 'V2']) assert.deepEqual(out.filter((o) => o.key === k).map((o) => (o.value as { count: number }).count), Array.from({ length: 10 }, (_, i) => i + 1));
});

test('a file that is not an Avro container, or a value without the key field, is a PARSE_ERROR naming the file', async () => {
  const garbage = join(dir, 'garbage.avro');
  writeFileSync(garbage, 'this is not avro');
  await assert.rejects(avroContainerRecords(garbage, 'metrics', 'vehicleId'), (e: { code?: string; message: string }) => e.code === ErrorCodes.PARSE_ERROR && e.message.includes(garbage));
  const noKey = join(dir, 'nokey.avro');
  await writeContainer(noKey, { type: 'record', name: 'X', fields: [{ name: 'n', type: 'int' }] }, [{ n: 1 }]);
  await assert.rejects(avroContainerRecords(noKey, 'metrics', 'vehicleId'), /no string field 'vehicleId'/);
});

test('a candump log replays as the CAN frame batches a publish would send, and feeds the CAN feature processor', async () => {
  const file = join(dir, 'v1.log');
  // 2 s of one 8-byte frame every 10 ms (candump -L: "(sec.usec) iface ID#DATA"), plus a line that does not parse.
  const lines = Array.from({ length: 200 }, (_, i) => `(${(1_700_000_000 + i / 100).toFixed(6)}) can0 2A3#0011223344556677`);
  lines.splice(50, 0, 'not a candump line');
  writeFileSync(file, lines.join('\n') + '\n');
  const recs = await candumpRecords(file, 'V1', { batchMs: 100 });
  assert.ok(recs.every((r) => r.topic === Topics.can && r.key === 'V1'));
  const frames = recs.flatMap((r) => (r.value as { frames: unknown[] }).frames);
  assert.equal(frames.length, 200, 'every good line, none of the bad one');
  assert.equal(recs.length, 20, '2 s in 100 ms batches');
  const out = replay([createCanFeaturesProcessor({ windowMs: 1000, allowedLatenessMs: 0 })], recs, { partitions: { [Topics.can]: 1 } }).outputs[Topics.canFeatures] ?? [];
  assert.ok(out.length >= 1, 'at least the first 1 s window closed');
  assert.equal((out[0]!.value as { features: Record<string, number> }).features.frames_per_s, 100);
});
