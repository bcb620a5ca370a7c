/**
 * Restore's reading of a changelog record: JSON state (with bytes) and tombstones restore; a value
 * that is not JSON (garbage written by something else) is reported as unreadable, never thrown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changelogEntry } from '../../../streams/runtime/kafka/state-restore.ts';

test('state values, tombstones and garbage', () => {
  assert.deepEqual(changelogEntry({ key: Buffer.from('k'), value: Buffer.from('{"n":1}') }), { key: 'k', value: { n: 1 } });
  assert.deepEqual(changelogEntry({ key: Buffer.from('k'), value: null }), { key: 'k', value: null });
  assert.deepEqual(changelogEntry({ key: null, value: Buffer.from('3') }), { key: '', value: 3 });
  const bad = changelogEntry({ key: Buffer.from('k'), value: Buffer.from([0xff, 0x00, 0x7b]) });
  assert.equal('unreadable' in bad && typeof bad.unreadable, 'string');
});
