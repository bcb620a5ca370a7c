/**
 * The one dead-letter record shape: source position, code, retriability, raw bytes and headers, with
 * secrets redacted from the message.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { cutForDeadLetter, deadLetterRecord, DLQ_RAW_BYTES } from '../../../streams/runtime/state/dead-letter.ts';

test('a dead letter keeps where the record came from and why, without the secret in the message', () => {
  const err = new FmeaflowError(ErrorCodes.INVALID_RECORD, 'bad record from https://user:hunter2@example.com/x', { retriable: false });
  const d = deadLetterRecord({ topic: 'in', partition: 2, offset: '17', rawKey: Buffer.from('k'), rawValue: Buffer.from([0, 255]), headers: { h: 'v' } }, err, 1234, 'proc');
  assert.equal(d.sourceTopic, 'in');
  assert.equal(d.sourcePartition, 2);
  assert.equal(d.sourceOffset, 17);
  assert.equal(d.errorCode, ErrorCodes.INVALID_RECORD);
  assert.equal(d.retriable, false);
  assert.equal(d.processor, 'proc');
  assert.deepEqual(d.rawValue, Buffer.from([0, 255]));
  assert.deepEqual(d.headers, { h: 'v' });
  assert.equal(d.failedAtMs, 1234);
  assert.doesNotMatch(d.errorMessage, /hunter2/);
});

test('an outbound value is cut to DLQ_RAW_BYTES, a small one kept whole', () => {
  assert.equal(cutForDeadLetter(Buffer.alloc(DLQ_RAW_BYTES * 2)).length, DLQ_RAW_BYTES);
  assert.equal(cutForDeadLetter(Buffer.alloc(10)).length, 10);
});
