import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActionBoard, type BoardAction } from '../../../streams/runtime/live/action-board.ts';
import type { ActionStatus } from '../../../streams/processors/fmea/action.ts';

function action(key: string, ap: 'H' | 'M' | 'L', rpn: number, vehicles: number, status: ActionStatus = 'NEW'): BoardAction {
  return { key, entryId: key, failureMode: `fm ${key}`, scopeKind: 'fleet', scopeId: 'fleet', severity: 8, occurrence: 4, detection: 5, rpn, actionPriority: ap, rank: 0, affectedVehicles: vehicles, status, firstSeenMs: 0, lastSeenMs: 0, evidence: { keywords: ['eeprom', 'verify', 'failed'], logClusterIds: ['p0-c1'] } };
}

test('the board ranks by Action Priority first, then RPN, then affected vehicles', () => {
  const b = new ActionBoard();
  b.apply('a', action('a', 'M', 400, 1));
  b.apply('b', action('b', 'H', 54, 1));
  b.apply('c', action('c', 'H', 160, 2));
  b.apply('d', action('d', 'H', 160, 9));
  b.apply('e', action('e', 'L', 900, 50));
  // A high RPN never outranks a higher Action Priority (AIAG-VDA replaced RPN ranking for this reason).
  assert.deepEqual(b.ranked().map((a) => a.key), ['d', 'c', 'b', 'a', 'e']);
});

test('a newer record of the same key replaces the old one and a tombstone removes it', () => {
  const b = new ActionBoard();
  b.apply('a', action('a', 'L', 10, 1));
  b.apply('a', action('a', 'H', 200, 3));
  assert.equal(b.size, 1);
  assert.equal(b.ranked()[0]!.actionPriority, 'H');
  b.apply('a', null);
  assert.equal(b.ranked().length, 0);
});

test('resolved actions leave the board and the table shows the evidence keywords', () => {
  const b = new ActionBoard();
  b.apply('a', action('a', 'H', 200, 3));
  b.apply('z', action('z', 'H', 999, 3, 'RESOLVED'));
  assert.deepEqual(b.ranked().map((a) => a.key), ['a']);
  const text = b.render();
  assert.match(text, /eeprom verify failed/);
  assert.match(text, /8\/4\/5/);
});
