/**
 * The batch loop on a real partition task (count-per-key): garbage values are dead-lettered with a
 * code and the rest of the batch still counts; an unreachable registry aborts the batch instead of
 * dead-lettering a good record; a stop mid-batch commits exactly the prefix handled.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { PartitionTask } from '../../../streams/runtime/state/partition-task.ts';
import { processBatch, type FetchedBatch } from '../../../streams/runtime/kafka/batch-loop.ts';
import { countPerKey } from '../../../streams/processors/testing/count-per-key.ts';

const side = { late: 'late', dlq: 'dlq' };
const task = () => new PartitionTask<any>(countPerKey({ input: 'in', output: 'out' }), 0, side, {} as never);
const json = { decode: async (_t: string, v: Buffer | null) => JSON.parse(v!.toString('utf8')) };
const rec = (offset: number, key: string, value: string) => ({ offset: String(offset), key: Buffer.from(key), value: Buffer.from(value), headers: { h: Buffer.from('x') } });
const batch = (messages: FetchedBatch['messages'], highWatermark = String(messages.length)): FetchedBatch => ({ topic: 'in', partition: 0, highWatermark, messages });
const noBeat = async () => undefined;

test('undecodable values are dead-lettered with a code; the good records around them count', async () => {
  const t = task();
  const n = await processBatch(t, batch([rec(0, 'a', '{"timestampMs":1}'), rec(1, 'a', '\u0000\u00ffnot json'), rec(2, 'a', '{"timestampMs":2}')]), json, noBeat, () => true);
  assert.equal(n, 3);
  const d = t.drain();
  assert.deepEqual(d.outputs.filter((o) => o.topic === 'out').map((o) => (o.value as { count: number }).count), [1, 2]);
  const dead = d.outputs.filter((o) => o.topic === 'dlq');
  assert.equal(dead.length, 1);
  assert.equal((dead[0]!.value as { errorCode: string }).errorCode, ErrorCodes.INVALID_RECORD);
  assert.equal((dead[0]!.value as { sourceOffset: number }).sourceOffset, 1);
  assert.deepEqual((dead[0]!.value as { headers: unknown }).headers, { h: 'x' });
});

test('a retriable decode failure aborts the batch instead of dead-lettering the record', async () => {
  const t = task();
  const down = { decode: async () => { throw new FmeaflowError(ErrorCodes.REGISTRY_UNREACHABLE, 'registry down', { retriable: true }); } };
  await assert.rejects(processBatch(t, batch([rec(0, 'a', '{}')]), down, noBeat, () => true), (e: FmeaflowError) => e.retriable);
  assert.equal(t.drain().outputs.length, 0);
});

test('a stop mid-batch handles a prefix and says how long it is', async () => {
  const t = task();
  let left = 2;
  const n = await processBatch(t, batch([rec(0, 'a', '{"timestampMs":1}'), rec(1, 'b', '{"timestampMs":1}'), rec(2, 'c', '{"timestampMs":1}')]), json, noBeat, () => left-- > 0);
  assert.equal(n, 2);
  assert.deepEqual(t.drain().outputs.map((o) => o.key), ['a', 'b']);
});

test('an empty batch handles nothing', async () => {
  assert.equal(await processBatch(task(), batch([]), json, noBeat, () => true), 0);
});
