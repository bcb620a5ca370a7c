import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskLine } from '../../../streams/processors/logs/masking.ts';

const raw = { digitTokensAreVariables: false };

test('numbers, IPs, hex, paths, timestamps and uuids become their token class', () => {
  assert.deepEqual(maskLine('retry 3 of 10 after 2.5 s', raw), ['retry', '<NUM>', 'of', '<NUM>', 'after', '<NUM>', 's']);
  assert.deepEqual(maskLine('connect to 10.0.3.17:8080 failed', raw), ['connect', 'to', '<IP>', 'failed']);
  assert.deepEqual(maskLine('fault at 0xDEADBEEF', raw), ['fault', 'at', '<HEX>']);
  assert.deepEqual(maskLine('open /var/log/bcm/current.log denied', raw), ['open', '<PATH>', 'denied']);
  assert.deepEqual(maskLine('started 2026-11-24T11:05:00.123Z ok', raw), ['started', '<TS>', 'ok']);
  assert.deepEqual(maskLine('tick 11:05:00 ok', raw), ['tick', '<TS>', 'ok']);
  assert.deepEqual(maskLine('session 123e4567-e89b-12d3-a456-426614174000 closed', raw), ['session', '<ID>', 'closed']);
  assert.deepEqual(maskLine('blob 9f86d081884c7d65 stored', raw), ['blob', '<HEX>', 'stored']);
});

test('0x ids are <CANID> in CAN context and <HEX> elsewhere', () => {
  assert.deepEqual(maskLine('timeout on CAN id 0x2A3', raw), ['timeout', 'on', 'CAN', 'id', '<CANID>']);
  assert.deepEqual(maskLine('frame can_id=0x18FEF100 dropped', raw), ['frame', 'can_id=<CANID>', 'dropped']);
  assert.deepEqual(maskLine('register 0x2A3 written', raw), ['register', '<HEX>', 'written']);
});

test('words are kept, digits inside words only become variables with digitTokensAreVariables', () => {
  assert.deepEqual(maskLine('worker-3 for blk_-1608999687919862906 done', raw), ['worker-<NUM>', 'for', 'blk_-<NUM>', 'done']);
  assert.deepEqual(maskLine('worker-3 for blk_-1608999687919862906 done'), ['worker-<NUM>', 'for', 'blk_-<NUM>', 'done']);
  assert.deepEqual(maskLine('core.2275 ecu7 ready', raw), ['core.2275', 'ecu7', 'ready']);
  // An id with digits is a variable; a word with a single digit names a thing (ecu7, SOCKS5) and stays.
  assert.deepEqual(maskLine('core.2275 ecu7 ready'), ['<*>', 'ecu7', 'ready']);
  assert.deepEqual(maskLine('  spaced\tout   words '), ['spaced', 'out', 'words']);
});
