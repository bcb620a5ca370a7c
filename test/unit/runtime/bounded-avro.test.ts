/**
 * Bounded Avro decoding: the poison values of issue 14 (a few bytes announcing 2^26 CAN
 * frames, release steps or 2^27 metric labels) are refused with a typed error before
 * anything is allocated, with and without schema resolution; valid multi-block encodings
 * still decode.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeAvro, encodeAvro, parseAvroSchema, type AvroType } from '../../../streams/runtime/serde/avro-type.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';

const schemaOf = (stem: string): Record<string, unknown> => JSON.parse(readFileSync(`schemas/${stem}.avsc`, 'utf8'));
const typeOf = (stem: string): AvroType => parseAvroSchema(schemaOf(stem));
const code = (c: string) => (e: unknown) => e instanceof FmeaflowError && e.code === c;

// The bodies of issue 14, after the 5-byte registry header.
const POISON = {
  'can-frame-batch': '0256026d0000000080808040', // frames: block count 2^26
  metric: '000080808080010000', // labels: map block count 2^27 in 9 bytes
  'release-event': '027202730276000000000000000000000263808080400000', // cohortVehicleIds: block count 2^26
} as const;

for (const [stem, hex] of Object.entries(POISON)) {
  test(`poison ${stem} body ${hex} is refused as SERDE_BLOCK_COUNT_EXCEEDED`, () => {
    const t = typeOf(stem);
    const heapBefore = process.memoryUsage().heapUsed;
    assert.throws(() => decodeAvro(t, t, undefined, Buffer.from(hex, 'hex'), stem), (e: unknown) => code(ErrorCodes.BLOCK_COUNT_EXCEEDED)(e) && new RegExp(stem).test((e as Error).message));
    // 2^26 array slots alone would be 512 MiB.
    assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 * 1024 * 1024, 'no large allocation');
  });
}

test('a mutated release event read through schema resolution (older writer) is refused too', () => {
  const reader = typeOf('release-event');
  const writerSchema = schemaOf('release-event');
  // An older writer without `history`: the reader fills the default, the resolver reads the writer's arrays.
  writerSchema.fields = (writerSchema.fields as { name: string }[]).filter((f) => f.name !== 'history');
  const writer = parseAvroSchema(writerSchema);
  const resolver = reader.createResolver(writer);
  const good = encodeAvro(writer, { releaseId: 'r', service: 's', version: 'v', baselineVersion: null, phase: 'START', trafficPercent: 5, cohort: 'c', cohortVehicleIds: ['VIN-1'], timestampMs: 1 }, 'w');
  assert.deepEqual((decodeAvro(reader, writer, resolver, good, 'w') as { history: unknown[] }).history, []);
  assert.throws(() => decodeAvro(reader, writer, resolver, Buffer.from(POISON['release-event'], 'hex'), 'w'), code(ErrorCodes.BLOCK_COUNT_EXCEEDED));
});

test('every prefix of a valid record is a typed error, never a value or a hang', () => {
  const t = typeOf('can-frame-batch');
  const body = encodeAvro(t, {
    vehicleId: 'VIN-1', bus: 'main', bitrateBps: 500000, seq: 1, batchStartUs: 1, batchEndUs: 2, droppedFrames: 0,
    frames: [1, 2, 3].map((i) => ({ timestampUs: i, id: 0x100 + i, extended: false, fd: false, brs: false, rtr: false, error: false, dlc: 2, data: Buffer.from([i, i]) })),
  }, 't');
  const serdeCodes = new Set<string>([ErrorCodes.TRUNCATED_PAYLOAD, ErrorCodes.BLOCK_COUNT_EXCEEDED, ErrorCodes.INVALID_BODY]);
  for (let n = 0; n < body.length; n++) {
    assert.throws(() => decodeAvro(t, t, undefined, body.subarray(0, n), 't'), (e: unknown) => e instanceof FmeaflowError && serdeCodes.has(e.code), `prefix of ${n} bytes`);
  }
});

test('valid multi-block arrays and maps (negative counts with byte sizes) still decode', () => {
  const t = parseAvroSchema({ type: 'record', name: 'R', fields: [{ name: 'xs', type: { type: 'array', items: 'int' } }, { name: 'm', type: { type: 'map', values: 'int' } }] });
  // xs: block of 2 (1, 2), block of -1 with size 1 (3), end; m: {"a": 1} then {"__proto__": 2}, end.
  const body = Buffer.from([0x04, 0x02, 0x04, 0x01, 0x02, 0x06, 0x00, 0x02, 0x02, 0x61, 0x02, 0x02, 0x12, ...Buffer.from('__proto__'), 0x04, 0x00]);
  const v = decodeAvro(t, t, undefined, body, 't') as { xs: number[]; m: Record<string, number> };
  assert.deepEqual(v.xs, [1, 2, 3]);
  assert.deepEqual(Object.entries(v.m), [['a', 1], ['__proto__', 2]]);
  assert.equal(Object.getPrototypeOf(v.m), Object.prototype, 'a "__proto__" key on the wire stays data');
});

test('bounds count items across nested blocks: many tiny inner arrays cannot exceed one item per body byte', () => {
  const t = parseAvroSchema({ type: 'array', items: { type: 'array', items: 'null' } });
  // Outer block of 3 inner arrays, each announcing 4 nulls (zero bytes each): 15 items in a 10-byte body.
  const body = Buffer.from([0x06, 0x08, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00]);
  assert.throws(() => decodeAvro(t, t, undefined, body, 't'), code(ErrorCodes.BLOCK_COUNT_EXCEEDED));
  const ok = Buffer.from([0x02, 0x04, 0x00, 0x00]);
  assert.deepEqual(decodeAvro(t, t, undefined, ok, 't'), [[null, null]]);
});
