/**
 * Replay runtime semantics: watermarks, timers, the late side output, the dead-letter
 * path and determinism, with expectations worked out by hand from the input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { replay } from '../../../streams/runtime/replay/replay.ts';
import { readJsonlRecords } from '../../../streams/runtime/replay/jsonl.ts';
import { windowedCount } from '../../../streams/processors/testing/windowed-count.ts';
import { countPerKey } from '../../../streams/processors/testing/count-per-key.ts';
import { PartitionClock } from '../../../streams/runtime/time/partition-clock.ts';
import { TimerQueue } from '../../../streams/runtime/time/timer-queue.ts';
import { partitionFor } from '../../../streams/runtime/kafka/partitioner.ts';
import { ErrorCodes, SourceLocationError } from '../../../streams/errors.ts';

const rec = (t: number, key = 'a') => ({ topic: 'in', key, value: { timestampMs: t }, partition: 0 });

test('out-of-order records within the lateness land in their window; later ones go to the late output', () => {
  const p = windowedCount({ input: 'in', output: 'out', windowMs: 10_000, allowedLatenessMs: 5_000 });
  // max/watermark after each: 1000/-4000, 12000/7000, (9000 on time), 16000/11000 → [0,10s) fires,
  // 8000 < 11000 late, 11000 on time, 26000/21000 → [10s,20s) fires.
  const r = replay([p], [rec(1000), rec(12_000), rec(9000), rec(16_000), rec(8000), rec(11_000), rec(26_000)]);
  assert.deepEqual(r.outputs.out?.map((o) => o.value), [
    { key: 'a', startMs: 0, endMs: 10_000, count: 2 },
    { key: 'a', startMs: 10_000, endMs: 20_000, count: 3 },
  ]);
  assert.equal(r.late.length, 1);
  const late = r.late[0]!.value as { eventTimeMs: number; watermarkMs: number; sourceOffset: number; processor: string };
  assert.equal(late.eventTimeMs, 8000);
  assert.equal(late.watermarkMs, 11_000);
  assert.equal(late.sourceOffset, 4, 'fifth record of partition 0');
  assert.equal(late.processor, 'windowed-count');
  assert.deepEqual(r.finalState['windowed-count']?.[0], { 'a@20000-30000': { key: 'a', startMs: 20_000, endMs: 30_000, count: 1 } });
});

test('watermarks are per partition: a fast partition does not make a slow one late', () => {
  const p = windowedCount({ input: 'in', output: 'out', windowMs: 1000, allowedLatenessMs: 0 });
  const r = replay([p], [{ ...rec(50_000), partition: 1 }, rec(500), rec(1500)]);
  assert.equal(r.late.length, 0);
  assert.deepEqual(r.outputs.out?.map((o) => o.value), [{ key: 'a', startMs: 0, endMs: 1000, count: 1 }]);
});

test('a throwing processor sends the record to the DLQ and processing continues', () => {
  const p = countPerKey({ input: 'in', output: 'out', failOnKey: 'bad' });
  const r = replay([p], [rec(1, 'x'), rec(2, 'bad'), rec(3, 'x')]);
  assert.deepEqual(r.outputs.out?.map((o) => o.value), [{ key: 'x', count: 1 }, { key: 'x', count: 2 }]);
  assert.equal(r.dlq.length, 1);
  const d = r.dlq[0]!.value as { errorCode: string; sourceOffset: number; processor: string };
  assert.equal(d.errorCode, ErrorCodes.PROCESSOR_FAILED);
  assert.equal(d.sourceOffset, 1);
  assert.equal(d.processor, 'count-per-key');
});

test('count-per-key emits 1..n per key and replays deterministically', () => {
  const keys = ['k1', 'k2', 'k3'];
  const input = Array.from({ length: 300 }, (_, i) => ({ topic: 'in', key: keys[(i * 7) % 3]!, value: { timestampMs: i } }));
  const a = replay([countPerKey({ input: 'in', output: 'out' })], input, { partitions: { in: 4 } });
  const b = replay([countPerKey({ input: 'in', output: 'out' })], input, { partitions: { in: 4 } });
  assert.deepEqual(a, b);
  for (const k of keys) {
    const counts = a.outputs.out!.filter((o) => o.key === k).map((o) => (o.value as { count: number }).count);
    assert.deepEqual(counts, Array.from({ length: 100 }, (_, i) => i + 1));
  }
});

test('chained processors: outputs feed the next processor (repartition shape)', () => {
  const first = countPerKey({ name: 'first', input: 'in', output: 'mid-repartition' });
  const second = countPerKey({ name: 'second', input: 'mid-repartition', output: 'out', timeField: 'count' });
  const r = replay([first, second], [rec(1, 'a'), rec(2, 'a'), rec(3, 'b')]);
  assert.deepEqual(r.outputs.out?.map((o) => [o.key, (o.value as { count: number }).count]), [['a', 1], ['a', 2], ['b', 1]]);
});

test('partitioner places keys like the Java producer (murmur2 vectors from Kafka UtilsTest)', () => {
  // Utils.murmur2 values published in Kafka's clients/src/test/.../UtilsTest.java; Java places a key at toPositive(h) % n.
  const vectors: [string, number][] = [['21', -973932308], ['foobar', -790332482], ['abc', 479470107], ['a-little-bit-long-string', -985981536]];
  for (const n of [3, 6, 7]) for (const [key, h] of vectors) assert.equal(partitionFor('t', key, n), (h & 0x7fffffff) % n, `${key} over ${n}`);
});

test('clock and timer queue basics', () => {
  const c = new PartitionClock(100);
  assert.equal(c.isLate(-1e15), false, 'nothing is late before the first record');
  c.observe(1000);
  assert.equal(c.watermarkMs, 900);
  assert.equal(c.isLate(899), true);
  assert.equal(c.isLate(900), false);
  const q = new TimerQueue();
  q.set({ kind: 'event-time', id: 'b', atMs: 5 });
  q.set({ kind: 'event-time', id: 'a', atMs: 5 });
  q.set({ kind: 'event-time', id: 'c', atMs: 1 });
  q.set({ kind: 'wall-clock', id: 'w', atMs: 0 });
  q.set({ kind: 'event-time', id: 'c', atMs: 9 }); // replaces
  assert.deepEqual(q.takeDue('event-time', 5).map((t) => t.id), ['a', 'b']);
  assert.deepEqual(q.takeDue('event-time', 8), []);
  assert.deepEqual(q.takeDue('event-time', 9).map((t) => t.id), ['c']);
  assert.deepEqual(q.takeDue('wall-clock', 0).map((t) => t.id), ['w']);
});

test('JSONL input: bytes decode and a bad line names file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-'));
  const good = join(dir, 'good.jsonl');
  writeFileSync(good, '{"topic":"in","key":"k","value":{"b":{"$bytes":"AQI="}}}\n\n{"key":"k2","value":1,"partition":2}\n');
  const recs = readJsonlRecords(good, 'dflt');
  assert.deepEqual((recs[0]!.value as { b: Buffer }).b, Buffer.from([1, 2]));
  assert.equal(recs[1]!.topic, 'dflt');
  assert.equal(recs[1]!.partition, 2);
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, '{"topic":"in","key":"k","value":1}\n{"topic":"in","value":1}\n');
  assert.throws(() => readJsonlRecords(bad), (e: unknown) => e instanceof SourceLocationError && e.line === 2 && e.field === 'key');
});


test('replay: wall-clock timers use the deterministic clock (max event time)', () => {
  const p = {
    ...countPerKey({ input: 'in', output: 'out' }),
    process: (_s: unknown, r: { key: string; eventTimeMs: number }, ctx: { nowMs: number }) => ({ timers: r.eventTimeMs === 0 ? [{ kind: 'wall-clock' as const, id: 'w', atMs: ctx.nowMs + 100 }] : [] }),
    onTimer: (_s: unknown, t: { id: string; atMs: number }) => ({ outputs: [{ topic: 'out', key: t.id, value: t.atMs }] }),
  };
  // nowMs = 0 at the first record → timer at 100; it fires on the first record with event time >= 100.
  const r = replay([p as never], [rec(0), rec(50), rec(99), rec(100), rec(500)]);
  assert.deepEqual(r.outputs.out?.map((o) => o.value), [100]);
});
