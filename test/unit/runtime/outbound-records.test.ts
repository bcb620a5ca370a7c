/**
 * Outbound encoding: an output its schema rejects and a record over the broker's limit go to the
 * DLQ (with a code, the value cut so the dead letter fits), and the rest of the commit is kept, so
 * one bad record cannot abort every retry of the batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { outboundMessages } from '../../../streams/runtime/kafka/outbound-records.ts';
import { DLQ_RAW_BYTES } from '../../../streams/runtime/state/dead-letter.ts';
import { MAX_RECORD_BYTES, CHANGELOG_MAX_MESSAGE_BYTES } from '../../../streams/runtime/kafka/send-chunks.ts';
import type { TaskDrain } from '../../../streams/runtime/state/partition-task.ts';

const codec = {
  encode(topic: string, value: unknown): Buffer | null {
    if (topic === 'strict' && typeof (value as { n?: unknown }).n !== 'number') throw new FmeaflowError(ErrorCodes.SCHEMA_MISMATCH, 'n is not a number');
    return value === null ? null : Buffer.from(JSON.stringify(value));
  },
};
const drain = (d: Partial<TaskDrain>): TaskDrain => ({ outputs: [], changelog: [], late: 0, dlq: [], events: [], ...d });
const setup = () => {
  const codes: string[] = [];
  return { codes, ctx: { processor: 'p', codec, changelog: 'cl', dlq: 'dlq', onDeadLetter: (c: string) => codes.push(c) } };
};
const dlqValue = (m: { value: Buffer | string | null }) => JSON.parse(m.value!.toString()) as { errorCode: string; sourceTopic: string; rawValue: { type: string; data: number[] } | string; processor: string };

test('outputs, changelog and traceparent land on their topics; changelog keeps the input partition', () => {
  const { ctx, codes } = setup();
  const msgs = outboundMessages(ctx, 3, drain({ outputs: [{ topic: 'out', key: 'k', value: { n: 1 }, headers: { a: 'b' } }], changelog: [{ key: 'k', value: 1 }, { key: 'gone', value: null }] }), '00-abc-def-01');
  const byTopic = Object.fromEntries(msgs.map((t) => [t.topic, t.messages]));
  assert.deepEqual(byTopic.out![0]!.headers, { a: 'b', traceparent: '00-abc-def-01' });
  assert.deepEqual(byTopic.cl!.map((m) => [m.key, m.value?.toString() ?? null, m.partition]), [['k', '1', 3], ['gone', null, 3]]);
  assert.deepEqual(codes, []);
});

test('a value its schema rejects is dead-lettered as JSON with SCHEMA_MISMATCH; the others still go out', () => {
  const { ctx, codes } = setup();
  const msgs = outboundMessages(ctx, 0, drain({ outputs: [{ topic: 'strict', key: 'k', value: { n: 'garbage' } }, { topic: 'strict', key: 'k2', value: { n: 2 } }] }), undefined);
  const byTopic = Object.fromEntries(msgs.map((t) => [t.topic, t.messages]));
  assert.equal(byTopic.strict!.length, 1);
  assert.equal(byTopic.dlq!.length, 1);
  const d = dlqValue(byTopic.dlq![0]!);
  assert.equal(d.errorCode, ErrorCodes.SCHEMA_MISMATCH);
  assert.equal(d.sourceTopic, 'strict');
  assert.equal(d.processor, 'p');
  assert.deepEqual(codes, [ErrorCodes.SCHEMA_MISMATCH]);
});

test('an output over the record limit and a changelog value over its limit are dead-lettered, cut to DLQ_RAW_BYTES', () => {
  const { ctx, codes } = setup();
  const big = 'x'.repeat(MAX_RECORD_BYTES + 10);
  const huge = 'y'.repeat(CHANGELOG_MAX_MESSAGE_BYTES + 10);
  const msgs = outboundMessages(ctx, 0, drain({ outputs: [{ topic: 'out', key: 'k', value: { big } }], changelog: [{ key: 's', value: huge }] }), undefined);
  assert.deepEqual(msgs.map((t) => t.topic), ['dlq']);
  assert.equal(msgs[0]!.messages.length, 2);
  for (const m of msgs[0]!.messages) {
    const raw = dlqValue(m).rawValue as { type: string; data: number[] };
    assert.equal(dlqValue(m).errorCode, ErrorCodes.RECORD_TOO_LARGE);
    assert.equal(raw.data.length, DLQ_RAW_BYTES);
  }
  assert.deepEqual(codes, [ErrorCodes.RECORD_TOO_LARGE, ErrorCodes.RECORD_TOO_LARGE]);
});
