import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classicFrameBitString, countStuffBits, crc15, frameBits, TRAILER_BITS } from '../../../streams/processors/can/frame-bits.ts';

const bitsOf = (bytes: number[]) => bytes.flatMap((b) => Array.from({ length: 8 }, (_, i) => (b >> (7 - i)) & 1));
const frame = (id: number, dlc: number, data: number[], extended = false) => ({ timestampUs: 0, id, dlc, data: Uint8Array.from(data), extended });

test('CRC-15/CAN matches the catalogue check value for "123456789" (0x059E)', () => {
  assert.equal(crc15(bitsOf([...'123456789'].map((c) => c.charCodeAt(0)))), 0x059e);
});

test('worst-case lengths equal the textbook values', () => {
  // standard: 47 + 8n + floor((34 + 8n - 1) / 4); extended: 67 + 8n + floor((54 + 8n - 1) / 4)
  assert.equal(frameBits(frame(0x123, 8, [1, 2, 3, 4, 5, 6, 7, 8]), 500_000, 2_000_000).worst, 135);
  assert.equal(frameBits(frame(0x123, 0, []), 500_000, 2_000_000).worst, 55);
  assert.equal(frameBits(frame(0x1234567, 8, [1, 2, 3, 4, 5, 6, 7, 8], true), 500_000, 2_000_000).worst, 160);
  assert.equal(frameBits(frame(0x1234567, 0, [], true), 500_000, 2_000_000).worst, 80);
});

test('actual stuffing counted on the real bit string (hand-worked frame)', () => {
  // id 0x000, DLC 0: SOF..DLC are 19 dominant bits, CRC of all zeros is 0 → 34 zeros.
  // A stuff bit after every 5 equal bits (the stuff bit starts the next run): 6 stuff bits.
  const f = frame(0x000, 0, []);
  const bits = classicFrameBitString(f);
  assert.equal(bits.length, 34);
  assert.ok(bits.every((b) => b === 0));
  assert.equal(countStuffBits(bits), 6);
  assert.deepEqual(frameBits(f, 500_000, 2_000_000), { actual: 34 + 6 + TRAILER_BITS, worst: 55 });
});

test('stuff counting: a stuff bit joins the following run', () => {
  assert.equal(countStuffBits([1, 1, 1, 1, 1]), 1);
  assert.equal(countStuffBits([1, 1, 1, 1, 1, 0, 0, 0, 0]), 2); // 11111 [0] 0000 → run of five zeros → [1]
  assert.equal(countStuffBits([1, 0, 1, 0, 1, 0]), 0);
});

test('actual never exceeds worst case, and error frames count 17 bits', () => {
  for (let id = 0; id < 0x800; id += 37) {
    for (let dlc = 0; dlc <= 8; dlc++) {
      const data = Array.from({ length: dlc }, (_, i) => (id * 7 + i * 31) & 0xff);
      const b = frameBits(frame(id, dlc, data), 500_000, 2_000_000);
      assert.ok(b.actual <= b.worst && b.actual >= 47 + 8 * dlc, `id ${id} dlc ${dlc}`);
    }
  }
  assert.deepEqual(frameBits({ ...frame(0, 0, []), error: true }, 500_000, 2_000_000), { actual: 17, worst: 17 });
});
