/**
 * The commit interval: 0 commits every batch; a positive interval holds a partition's batches and
 * commits them as one once the oldest has waited the interval, with the newest offset and every
 * held record counted; partitions are held apart; a bad interval is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CommitSchedule, type HeldWork } from '../../../streams/runtime/kafka/commit-schedule.ts';

const work = (nextOffset: number, processed: number, startedMs: number): HeldWork => ({ topic: 'in', nextOffset: String(nextOffset), processed, startedMs, timestampsMs: Array.from({ length: processed }, () => startedMs), lag: 0, stale: () => false, traceparent: undefined });

test('interval 0 commits every batch as it comes', () => {
  const s = new CommitSchedule(0);
  assert.equal(s.add(0, work(10, 10, 5), 5)?.nextOffset, '10');
  assert.deepEqual(s.partitions, []);
});

test('a positive interval holds batches, then commits them as one with the newest offset', () => {
  const s = new CommitSchedule(100);
  assert.equal(s.add(0, work(10, 10, 0), 0), undefined);
  assert.equal(s.add(1, work(3, 3, 20), 20), undefined);
  assert.equal(s.add(0, work(25, 15, 50), 50), undefined);
  const due = s.add(0, work(30, 5, 100), 100)!;
  assert.deepEqual([due.nextOffset, due.processed, due.startedMs, due.timestampsMs.length], ['30', 30, 0, 30]);
  assert.deepEqual(s.partitions, [1], 'partition 1 is still held');
  assert.equal(s.due(1, 119), undefined);
  assert.equal(s.due(1, 120)?.nextOffset, '3');
  assert.deepEqual(s.partitions, []);
});

test('take hands held work to another commit; a bad interval is refused', () => {
  const s = new CommitSchedule(1000);
  s.add(2, work(7, 7, 0), 0);
  assert.equal(s.take(2)?.nextOffset, '7');
  assert.equal(s.take(2), undefined);
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => new CommitSchedule(bad), RangeError);
});
