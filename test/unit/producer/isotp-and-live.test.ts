/**
 * ISO-TP framing by hand from ISO 15765-2 (PCI nibbles, lengths, sequence wrap), and the
 * clear start-up message when live SocketCAN is not available.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segment, reassemble, flowControl } from '../../../vehicle-producer/sim/isotp.ts';
import { socketcanProblem } from '../../../vehicle-producer/sources/socketcan-source.ts';

test('single frame, first + consecutive frames, sequence wraps after 15', () => {
  assert.deepEqual([...segment([0x3e, 0x00])[0]!], [0x02, 0x3e, 0x00, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
  const vin = [0x62, 0xf1, 0x90, ...Buffer.from('5YJ3E1EA000000001')]; // 20 bytes
  const fr = segment(vin);
  assert.equal(fr.length, 3); // FF carries 6, CF1 7, CF2 7
  assert.deepEqual([...fr[0]!.subarray(0, 5)], [0x10, 20, 0x62, 0xf1, 0x90]);
  assert.equal(fr[1]![0], 0x21);
  assert.equal(fr[2]![0], 0x22);
  assert.deepEqual(reassemble([fr[0]!, flowControl(), fr[1]!, fr[2]!]), vin);
  const long = Array.from({ length: 6 + 7 * 17 }, (_, i) => i & 0xff);
  const seqs = segment(long).slice(1).map((f) => f[0]! & 0x0f);
  assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1]);
  assert.deepEqual(reassemble(segment(long)), long);
  assert.deepEqual([...flowControl(0)], [0x30, 0, 0, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa]);
});

test('live capture explains what is missing (package or interface)', async () => {
  const p = await socketcanProblem('vcan-does-not-exist');
  assert.ok(p !== null);
  assert.match(p, /socketcan' is not installed|interface 'vcan-does-not-exist' does not exist/);
});
