/**
 * A CAN batch that decodes but whose interval is absurd (batchEndUs years after batchStartUs, or before it) is refused
 * as INVALID_RECORD: can-features walks the interval window by window, so the end-to-end fuzz's byte-flipped batch
 * made one record cost millions of windows and took the worker down with a heap out-of-memory abort.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CanFrameBatch } from '../../../streams/processors/can/can-batch.ts';
import { createCanFeaturesProcessor, MAX_BATCH_SPAN_MS } from '../../../streams/processors/can/can-features.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from '../fmea/harness.ts';

const T0 = 1_764_000_000_000;
const US = 1000;
const batch = (startMs: number, endMs: number): CanFrameBatch => ({
  vehicleId: 'V1', bus: 'main', bitrateBps: 500_000, seq: 1, batchStartUs: startMs * US, batchEndUs: endMs * US, droppedFrames: 0,
  frames: [{ timestampUs: startMs * US, id: 0x2a3, dlc: 1, data: Uint8Array.from([1]) }],
});

test('a batch spanning years or ending before it starts is INVALID_RECORD naming batchEndUs; a long but plausible one is accepted', () => {
  const d = new Driver(createCanFeaturesProcessor({ windowMs: 10_000 }));
  // 2^40 ms ≈ 35 years: 10^11 windows of 10 s. The engine dead-letters such a batch with its code (no window is opened).
  assert.deepEqual(d.feed(Topics.can, batch(T0, T0 + 2 ** 40)), []);
  assert.deepEqual(d.feed(Topics.can, batch(T0, T0 - 1)), []);
  const letters = d.dlq.map((o) => o.value as { errorCode: string; errorMessage: string });
  assert.deepEqual(letters.map((l) => l.errorCode), [ErrorCodes.INVALID_RECORD, ErrorCodes.INVALID_RECORD]);
  for (const l of letters) assert.match(l.errorMessage, /batchEndUs must lie/);
  assert.equal(d.store.map.size, 0, 'no window state for a refused batch');
  assert.deepEqual(d.feed(Topics.can, batch(T0, T0 + MAX_BATCH_SPAN_MS)), []);
  assert.equal(d.dlq.length, 2, 'a long but plausible batch is accepted');
});
