/**
 * Idle partitions' wall-clock timers: a due timer's output is committed once, and a task with nothing
 * pending commits nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionTask, type TaskDrain } from '../../../streams/runtime/state/partition-task.ts';
import { fireIdleTimers } from '../../../streams/runtime/kafka/wall-clock-ticker.ts';
import type { Processor } from '../../../streams/processors/processor.ts';

const side = { late: 'late', dlq: 'dlq' };
const processor: Processor<number, { t: number }> = {
  name: 'timeout',
  inputTopics: ['in'],
  outputTopics: ['out'],
  store: 's',
  allowedLatenessMs: 0,
  eventTimeMs: (v) => v.t,
  process: (_store, r) => ({ timers: [{ id: `idle-${r.key}`, kind: 'wall-clock' as const, atMs: 1_000, payload: { key: r.key } }] }),
  onTimer: (_store, t) => ({ outputs: [{ topic: 'out', key: String(t.payload?.key), value: { idle: t.id } }] }),
};

test('a due wall-clock timer of an idle partition is fired and committed; a task with nothing due commits nothing', async () => {
  const tasks = new Map<number, PartitionTask<any>>();
  for (const p of [0, 1, 2]) tasks.set(p, new PartitionTask<any>(processor, p, side, {} as never));
  for (const p of [0, 1]) {
    tasks.get(p)!.handle({ topic: 'in', partition: p, offset: '0', key: `v${p}`, headers: {}, rawKey: null, rawValue: null }, { t: 5 }, 0);
    tasks.get(p)!.drain();
  }
  const committed: [number, TaskDrain][] = [];
  for (const [p, t] of tasks) await fireIdleTimers(t, 2_000, async (d) => void committed.push([p, d]));
  assert.deepEqual(committed.map(([p, d]) => [p, d.outputs.map((o) => o.key)]), [[0, ['v0']], [1, ['v1']]]);
  await fireIdleTimers(tasks.get(0)!, 3_000, async (d) => void committed.push([0, d]));
  assert.equal(committed.length, 2, 'a fired timer does not fire again');
});
