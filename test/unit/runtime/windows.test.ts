/** Window math, checked against hand-computed windows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hoppingWindows, tumblingWindow, windowClosed } from '../../../streams/processors/windows.ts';

test('tumbling windows are half-open and epoch-aligned', () => {
  assert.deepEqual(tumblingWindow(0, 1000), { startMs: 0, endMs: 1000 });
  assert.deepEqual(tumblingWindow(999, 1000), { startMs: 0, endMs: 1000 });
  assert.deepEqual(tumblingWindow(1000, 1000), { startMs: 1000, endMs: 2000 });
  assert.deepEqual(tumblingWindow(-1, 1000), { startMs: -1000, endMs: 0 });
  assert.deepEqual(tumblingWindow(1250, 1000, 500), { startMs: 500, endMs: 1500 });
  assert.throws(() => tumblingWindow(1, 0), RangeError);
});

test('hopping windows: every window containing t, oldest first', () => {
  // size 10s, advance 5s: t=12s is in [5,15) and [10,20)
  assert.deepEqual(hoppingWindows(12_000, 10_000, 5_000), [
    { startMs: 5_000, endMs: 15_000 },
    { startMs: 10_000, endMs: 20_000 },
  ]);
  // t on a boundary belongs to the window starting there, not the one ending there
  assert.deepEqual(hoppingWindows(10_000, 10_000, 5_000), [
    { startMs: 5_000, endMs: 15_000 },
    { startMs: 10_000, endMs: 20_000 },
  ]);
  assert.equal(hoppingWindows(7, 60, 20).length, 3);
  assert.deepEqual(hoppingWindows(7, 10, 10), [tumblingWindow(7, 10)]);
});

test('a window is closed once the watermark reaches its end', () => {
  assert.equal(windowClosed({ startMs: 0, endMs: 10 }, 9), false);
  assert.equal(windowClosed({ startMs: 0, endMs: 10 }, 10), true);
});
