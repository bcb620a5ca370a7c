/**
 * Per-partition lanes: one partition's work runs in order and never overlaps itself (a second batch must
 * not start before the first one's commit), a failure does not block the lane, and other partitions'
 * work overlaps it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionLanes } from '../../../streams/runtime/kafka/partition-lanes.ts';

/** A step that finishes only when released, so interleavings are decided by the test, not by time. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

test('same lane: in order, no overlap, and a failure does not block the next', async () => {
  const lanes = new PartitionLanes();
  const log: string[] = [];
  const g = gate();
  const a = lanes.run(0, async () => { log.push('a start'); await g.wait; log.push('a end'); throw new Error('a failed'); });
  const b = lanes.run(0, async () => { log.push('b'); return 2; });
  await Promise.resolve();
  assert.deepEqual(log, ['a start']);
  g.open();
  await assert.rejects(a, /a failed/);
  assert.equal(await b, 2);
  assert.deepEqual(log, ['a start', 'a end', 'b']);
});

test('different lanes overlap; idle waits for all of them', async () => {
  const lanes = new PartitionLanes();
  const log: string[] = [];
  const g = gate();
  void lanes.run(0, async () => { await g.wait; log.push('p0'); });
  await lanes.run(1, async () => { log.push('p1'); });
  assert.deepEqual(log, ['p1'], 'partition 1 did not wait for partition 0');
  let idle = false;
  const done = lanes.idle().then(() => (idle = true));
  await Promise.resolve();
  assert.equal(idle, false);
  g.open();
  await done;
  assert.deepEqual(log, ['p1', 'p0']);
});
