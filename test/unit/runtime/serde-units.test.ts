/**
 * Serde building blocks without a registry: wire framing, Avro field-path errors,
 * registry pointer → field name mapping, `$bytes` JSON, traceparent parsing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frame, unframe } from '../../../streams/runtime/serde/wire-format.ts';
import { decodeAvro, encodeAvro, parseAvroSchema } from '../../../streams/runtime/serde/avro-type.ts';
import { incompatibleFields, pointerToFieldPath } from '../../../streams/runtime/serde/registry-errors.ts';
import { parseJsonWithBytes, stringifyWithBytes } from '../../../streams/runtime/serde/json-bytes.ts';
import { formatTraceparent, parseTraceparent } from '../../../streams/runtime/observability/tracing.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';

const code = (c: string) => (e: unknown) => e instanceof FmeaflowError && e.code === c;

test('wire format: magic 0, 4-byte big-endian id, body', () => {
  const f = frame(0x01020304, Buffer.from([9, 8]));
  assert.deepEqual([...f], [0, 1, 2, 3, 4, 9, 8]);
  assert.deepEqual(unframe(f, 't'), { schemaId: 0x01020304, body: Buffer.from([9, 8]) });
  assert.throws(() => unframe(Buffer.from([1, 0, 0, 0, 1]), 't'), code(ErrorCodes.BAD_MAGIC_BYTE));
  assert.throws(() => unframe(Buffer.from([0, 0, 1]), 't'), code(ErrorCodes.TRUNCATED_PAYLOAD));
  assert.throws(() => unframe(Buffer.alloc(0), 't'), code(ErrorCodes.TRUNCATED_PAYLOAD));
});

const schema = {
  type: 'record', name: 'R', fields: [
    { name: 'id', type: 'string' },
    { name: 'atMs', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'items', type: { type: 'array', items: { type: 'record', name: 'I', fields: [{ name: 'n', type: 'int' }] } } },
  ],
};

test('timestamp logical types stay plain numbers', () => {
  const t = parseAvroSchema(schema);
  const v = { id: 'x', atMs: 1_700_000_000_123, items: [] };
  const back = decodeAvro(t, t, undefined, encodeAvro(t, v, 't'), 't') as typeof v;
  assert.equal(typeof back.atMs, 'number');
  assert.equal(back.atMs, 1_700_000_000_123);
});

test('schema mismatch names the field path; truncated bodies are typed', () => {
  const t = parseAvroSchema(schema);
  assert.throws(() => encodeAvro(t, { id: 'x', atMs: 1, items: [{ n: 1 }, { n: 'two' }] }, 'topic-a'), (e: unknown) => code(ErrorCodes.SCHEMA_MISMATCH)(e) && /items\[1\]\.n/.test((e as Error).message) && /topic-a/.test((e as Error).message));
  assert.throws(() => encodeAvro(t, { atMs: 1, items: [] }, 't'), (e: unknown) => /\bid: got undefined/.test((e as Error).message));
  const body = encodeAvro(t, { id: 'hello', atMs: 5, items: [{ n: 1 }] }, 't');
  assert.throws(() => decodeAvro(t, t, undefined, body.subarray(0, body.length - 1), 't'), code(ErrorCodes.TRUNCATED_PAYLOAD));
  assert.throws(() => decodeAvro(t, t, undefined, Buffer.concat([body, Buffer.from([0])]), 't'), code(ErrorCodes.INVALID_BODY));
});

test('registry JSON pointers map to field names', () => {
  const s = { type: 'record', name: 'B', fields: [{ name: 'vehicleId', type: 'string' }, { name: 'frames', type: { type: 'array', items: { type: 'record', name: 'F', fields: [{ name: 'id', type: 'int' }, { name: 'data', type: 'bytes' }] } } }] };
  assert.equal(pointerToFieldPath(s, '/fields/1'), 'frames');
  assert.equal(pointerToFieldPath(s, '/fields/1/type/items/fields/1'), 'frames.data');
  assert.equal(pointerToFieldPath(s, '/nope/3'), '/nope/3');
  assert.deepEqual(incompatibleFields('Incompatible artifact: x [AVRO], num of incompatible diffs: {1}, list of diff types: [b at /fields/0]', s), ['vehicleId']);
});

test('$bytes JSON round trip', () => {
  const v = { a: Buffer.from([0, 255]), nested: [{ b: Buffer.from('hi') }], n: 1 };
  const text = stringifyWithBytes(v);
  assert.equal(text, '{"a":{"$bytes":"AP8="},"nested":[{"b":{"$bytes":"aGk="}}],"n":1}');
  assert.deepEqual(parseJsonWithBytes(text), v);
});

test('traceparent parse/format (W3C trace-context)', () => {
  const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const sc = parseTraceparent(tp)!;
  assert.equal(sc.traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(sc.spanId, 'b7ad6b7169203331');
  assert.equal(formatTraceparent(sc), tp);
  assert.equal(parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01'), undefined, 'all-zero trace id is invalid');
  assert.equal(parseTraceparent('garbage'), undefined);
});
