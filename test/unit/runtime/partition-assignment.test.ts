/**
 * Assignment bookkeeping: a revoked partition's state is dropped; when the group expired us (new
 * member id) every state is dropped, because another member may have moved those partitions on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionAssignment } from '../../../streams/runtime/kafka/partition-assignment.ts';

test('revoked partitions are stale, kept ones are not; only the input topics count', () => {
  const a = new PartitionAssignment(['in']);
  assert.deepEqual(a.join({ in: [2, 0, 1], other: [7] }, 'm1', []), []);
  assert.deepEqual(a.partitions, [0, 1, 2]);
  assert.equal(a.has(7), false);
  const stale = a.join({ in: [1] }, 'm1', [0, 1, 2]);
  assert.deepEqual(stale, [{ partition: 0, why: 'revoked' }, { partition: 2, why: 'revoked' }]);
  assert.deepEqual(a.partitions, [1]);
});

test('a new member id makes every held state stale, even of partitions we get back', () => {
  const a = new PartitionAssignment(['in']);
  a.join({ in: [0, 1] }, 'm1', []);
  const stale = a.join({ in: [0, 1] }, 'm2', [0, 1]);
  assert.deepEqual(stale.map((s) => s.why), ['rejoined as a new member', 'rejoined as a new member']);
});

test('an assignment without our topics leaves nothing assigned', () => {
  const a = new PartitionAssignment(['in']);
  a.join({ in: [0] }, 'm1', []);
  assert.deepEqual(a.join({}, 'm1', [0]), [{ partition: 0, why: 'revoked' }]);
  assert.deepEqual(a.partitions, []);
});
