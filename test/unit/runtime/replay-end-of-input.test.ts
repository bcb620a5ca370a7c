/**
 * End of input in the replay runtime: every window a finite input touched closes, stage after stage,
 * without making any record late and without firing timers beyond the horizon. Expectations by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Processor } from '../../../streams/processors/processor.ts';
import { replay, topologicalOrder } from '../../../streams/runtime/replay/replay.ts';
import { windowedCount, type WindowCount } from '../../../streams/processors/testing/windowed-count.ts';
import { createRouter, readRepartitioned } from '../../../streams/processors/repartition.ts';

const rec = (t: number, key = 'a', partition = 0) => ({ topic: 'in', key, value: { timestampMs: t }, partition });
const windows = (out: readonly { value: unknown }[] | undefined): string[] => (out ?? []).map((o) => { const w = o.value as WindowCount; return `${w.key}@${w.startMs / 1000}-${w.endMs / 1000}=${w.count}`; });

test('without a flush the last windows of a finite input stay open; with one every window closes', () => {
  const p = windowedCount({ input: 'in', output: 'out', windowMs: 10_000, allowedLatenessMs: 5_000 });
  const input = [rec(1000), rec(12_000), rec(21_000), rec(27_000)];
  // Watermark 27 s − 5 s = 22 s: only [0,10) and [10,20) are closed by the input itself.
  assert.deepEqual(windows(replay([p], input).outputs.out), ['a@0-10=1', 'a@10-20=1']);
  assert.deepEqual(windows(replay([p], input, { endOfInputMs: 10_000 }).outputs.out), ['a@0-10=1', 'a@10-20=1', 'a@20-30=2']);
});

test('a horizon shorter than the last window leaves it open (timers beyond the horizon do not fire)', () => {
  const p = windowedCount({ input: 'in', output: 'out', windowMs: 10_000, allowedLatenessMs: 5_000 });
  // Last event 21 s, horizon 5 s: the watermark reaches 26 s, the [20,30) window's timer is at 30 s.
  assert.deepEqual(windows(replay([p], [rec(1000), rec(12_000), rec(21_000)], { endOfInputMs: 5_000 }).outputs.out), ['a@0-10=1', 'a@10-20=1']);
});

test('the flush closes an upstream stage before the stage it feeds, so the last windows reach it', () => {
  const counts = windowedCount({ input: 'in', output: 'mid', windowMs: 10_000, allowedLatenessMs: 0 });
  // The second stage counts the first stage's window records per key in 30 s windows, by their start.
  const totals: Processor<WindowCount, WindowCount> = { ...windowedCount({ input: 'mid', output: 'out', windowMs: 30_000, allowedLatenessMs: 0, timeField: 'startMs' }), name: 'totals', store: 'totals' } as never;
  // Given in the wrong order on purpose: the replay orders stages by their topics.
  assert.deepEqual(topologicalOrder([totals, counts]).map((p) => p.name), ['windowed-count', 'totals']);
  const r = replay([totals, counts], [rec(1000), rec(15_000), rec(25_000)], { endOfInputMs: 30_000 });
  assert.deepEqual(windows(r.outputs.mid), ['a@0-10=1', 'a@10-20=1', 'a@20-30=1']);
  // All three windows of the first stage start in [0,30): one record of 3 at the second stage.
  assert.deepEqual(windows(r.outputs.out), ['a@0-30=3']);
  assert.equal(r.late.length, 0);
});

test('partitions merging into one stage close together: the flush of one does not make the other\'s last records late', () => {
  // Two input partitions, each a vehicle; their window counts meet in one partition of the second stage (lateness 0).
  const counts = windowedCount({ input: 'in', output: 'mid', windowMs: 10_000, allowedLatenessMs: 30_000 });
  const router = createRouter<WindowCount>({ name: 'route', inputTopics: ['mid'], outputTopic: 'mid-repartition', keyOf: () => 'all', eventTimeMs: (v) => v.startMs });
  const totals = readRepartitioned({ ...windowedCount({ input: 'mid-repartition', output: 'out', windowMs: 10_000, allowedLatenessMs: 0, timeField: 'startMs' }), name: 'totals', store: 'totals' } as never, 'mid-repartition');
  const input = [0, 10_000, 20_000, 30_000, 40_000].flatMap((t) => [rec(t + 500, 'v1', 0), rec(t + 600, 'v2', 1)]);
  const r = replay([counts, router, totals], input, { partitions: { 'mid-repartition': 1 }, endOfInputMs: 10_000 });
  // Lateness 30 s holds back the last four windows of each partition until the flush; all five arrive in time.
  assert.equal(windows(r.outputs.mid).length, 10);
  assert.equal(r.late.length, 0, `late: ${JSON.stringify(r.late.map((l) => l.value))}`);
  assert.deepEqual(windows(r.outputs.out), ['all@0-10=2', 'all@10-20=2', 'all@20-30=2', 'all@30-40=2', 'all@40-50=2']);
});
