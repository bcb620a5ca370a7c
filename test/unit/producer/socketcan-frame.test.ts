/**
 * Live SocketCAN messages → frames: a CAN FD payload's DLC is the wire code from the FD
 * length table (ISO 11898-1), never the byte count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameFromSocketcan } from '../../../vehicle-producer/sources/socketcan-source.ts';

const FD_TABLE: [number, number][] = [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [6, 6], [7, 7], [8, 8], [12, 9], [16, 10], [20, 11], [24, 12], [32, 13], [48, 14], [64, 15]];

test('CAN FD DLC follows the length table 0-8, 12, 16, 20, 24, 32, 48, 64', () => {
  for (const [len, dlc] of FD_TABLE) {
    const f = frameFromSocketcan({ id: 0x123, canfd: true, data: Buffer.alloc(len, 0xab), ts_sec: 1, ts_usec: 2 }, 'can0');
    assert.equal(f.dlc, dlc, `${len} bytes → DLC ${dlc}`);
    assert.equal(f.fd, true);
    assert.equal(f.data.length, len);
  }
});

test('an FD payload longer than 8 bytes is FD even without the canfd flag; classic frames keep DLC = length', () => {
  const fd = frameFromSocketcan({ id: 0x18daf110, ext: true, data: Buffer.alloc(48) }, 'can1', 5);
  assert.deepEqual({ fd: fd.fd, dlc: fd.dlc, extended: fd.extended, timestampUs: fd.timestampUs }, { fd: true, dlc: 14, extended: true, timestampUs: 5 });
  const classic = frameFromSocketcan({ id: 0x2a3, data: Buffer.from([1, 2, 3]), ts_sec: 10, ts_usec: 500 }, 'can0');
  assert.deepEqual({ fd: classic.fd, dlc: classic.dlc, timestampUs: classic.timestampUs }, { fd: false, dlc: 3, timestampUs: 10_000_500 });
});

test('error frames drop the error flag from the id', () => {
  const f = frameFromSocketcan({ id: 0x20000004, data: Buffer.alloc(8) }, 'can0', 0);
  assert.equal(f.error, true);
  assert.equal(f.id, 0x4);
});
