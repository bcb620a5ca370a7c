import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CanFrame, CanFrameBatch } from '../../../streams/processors/can/can-batch.ts';
import { createCanFeaturesProcessor, type CanFeatureVector, type CanFeaturesProcessorConfig } from '../../../streams/processors/can/can-features.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from '../fmea/harness.ts';

const T0 = 1_764_000_000_000; // a multiple of 10 s
const US = 1000;

function fr(tMs: number, id: number, data: number[], extra: Partial<CanFrame> = {}): CanFrame {
  return { timestampUs: tMs * US, id, dlc: data.length, data: Uint8Array.from(data), ...extra };
}
function batch(frames: CanFrame[], opts: Partial<CanFrameBatch> = {}): CanFrameBatch {
  return { vehicleId: 'V1', bus: 'main', bitrateBps: 500_000, seq: 1, batchStartUs: T0 * US, batchEndUs: (T0 + 10_000) * US, frames, droppedFrames: 0, ...opts };
}
function run(batches: CanFrameBatch[], cfg: CanFeaturesProcessorConfig = {}, closeAtMs = T0 + 60_000): CanFeatureVector[] {
  const d = new Driver(createCanFeaturesProcessor(cfg));
  for (const b of batches) assert.deepEqual(d.feed(Topics.can, b), []);
  return d.advanceTo(closeAtMs) as CanFeatureVector[];
}
const close = (a: number | undefined, b: number, eps = 1e-9) => assert.ok(a !== undefined && Math.abs(a - b) < eps, `${a} ≈ ${b}`);

test('bus load and frame rate by hand computation', () => {
  // 1000 frames id 0x000 DLC 0: 53 bits each with their real stuffing (34 zero bits + 6 stuff + 13), worst case 55.
  const frames = Array.from({ length: 1000 }, (_, i) => fr(T0 + i * 10, 0x000, []));
  const [v] = run([batch(frames)]);
  assert.ok(v);
  close(v.features['frames_per_s'], 100);
  close(v.features['bus_load_actual'], (1000 * 53) / (500_000 * 10));
  close(v.features['bus_load_worst'], (1000 * 55) / (500_000 * 10));
  // no bitrate in the batch: the configured one for the bus is used
  const [w] = run([batch(frames, { bitrateBps: null })], { bitrateByBus: { main: 250_000 } });
  close(w!.features['bus_load_worst'], (1000 * 55) / (250_000 * 10));
  assert.equal(w!.bitrateBps, 250_000);
});

test('share of expected periodic frames missing, from configured cycle times', () => {
  // 0x100 every 100 ms → 100 expected in 10 s; drop 10 pairs (20 frames). 0x200 every 1000 ms, all 10 present.
  const dropped = new Set(Array.from({ length: 10 }, (_, k) => [k * 10 + 3, k * 10 + 4]).flat());
  const frames = [
    ...Array.from({ length: 100 }, (_, i) => i).filter((i) => !dropped.has(i)).map((i) => fr(T0 + i * 100, 0x100, [1, 2])),
    ...Array.from({ length: 10 }, (_, i) => fr(T0 + i * 1000 + 50, 0x200, [3])),
  ];
  const [v] = run([batch(frames)], { cycleTimesMs: new Map([[0x100, 100], [0x200, 1000]]) });
  close(v!.features['missing_periodic_share'], 20 / 110);
  // gaps of 3 cycles are missing frames, not jitter; everything else is on time
  close(v!.features['cycle_jitter_ratio'], 0);
});

test('cycle-time jitter is the mean relative deviation of inter-arrival times', () => {
  // 0x200 at 0, 1010, 2000, 3010, … → deltas alternate 1010/990 ms → |Δ−1000|/1000 = 0.01 each
  const frames = Array.from({ length: 10 }, (_, i) => fr(T0 + i * 1000 + (i % 2 ? 10 : 0), 0x200, [3]));
  const [v] = run([batch(frames)], { cycleTimesMs: new Map([[0x200, 1000]]) });
  close(v!.features['cycle_jitter_ratio'], 0.01);
  close(v!.features['missing_periodic_share'], 0);
});

test('error-frame share and DLC mismatch against expected and usual DLC', () => {
  const frames = [
    ...Array.from({ length: 10 }, (_, i) => fr(T0 + i, 0x300, [0, 0, 0, 0, 0, 0, 0, 0])), // expected DLC 8 (config)
    fr(T0 + 20, 0x300, [0, 0, 0, 0]), fr(T0 + 21, 0x300, [0, 0, 0, 0]), // 2 mismatches
    ...Array.from({ length: 6 }, (_, i) => fr(T0 + 100 + i, 0x301, [1, 1, 1, 1, 1, 1, 1, 1])), // usual DLC learnt: 8
    fr(T0 + 200, 0x301, [1, 1]), fr(T0 + 201, 0x301, [1, 1]), // 2 mismatches against the usual DLC
    fr(T0 + 300, 0, [0, 0], { error: true }), fr(T0 + 301, 0, [0, 0], { error: true }), fr(T0 + 302, 0, [0, 0], { error: true }),
  ];
  const [v] = run([batch(frames)], { expectedDlc: new Map([[0x300, 8]]) });
  assert.equal(v!.frameCount, 23);
  close(v!.features['error_frame_share'], 3 / 23);
  close(v!.features['dlc_mismatch_share'], 4 / 20);
  // Worst id: 0x300 with 2 of its 12 frames off; 0x301 has only 8 frames, below the 10-frame minimum.
  close(v!.features['id_collision_share'], 2 / 12);
});

test('UDS: request count, 0x7F share without 0x78 responsePending, latency, DTC density', () => {
  const t = T0 + 1000;
  const frames = [
    fr(t, 0x7e0, [0x02, 0x10, 0x03]), fr(t + 20, 0x7e8, [0x02, 0x50, 0x03]), // positive, 20 ms
    fr(t + 1000, 0x7e0, [0x02, 0x31, 0x01]), fr(t + 1005, 0x7e8, [0x03, 0x7f, 0x31, 0x78]), // pending: not final
    fr(t + 1050, 0x7e8, [0x03, 0x7f, 0x31, 0x22]), // negative, 50 ms after the request
    fr(t + 2000, 0x7df, [0x02, 0x3e, 0x00]), fr(t + 2010, 0x7e9, [0x02, 0x7e, 0x00]), // functional request, 10 ms
    // ReadDTCInformation 0x19 0x02 → 11-byte response in a first frame + one consecutive frame, 30 ms
    fr(t + 3000, 0x7e0, [0x03, 0x19, 0x02, 0xff]),
    fr(t + 3030, 0x7e8, [0x10, 0x0b, 0x59, 0x02, 0xff, 0x0a, 0x80, 0x1c]),
    fr(t + 3031, 0x7e0, [0x30, 0x00, 0x00]), // tester flow control: not a request
    fr(t + 3032, 0x7e8, [0x21, 0x09, 0xc1, 0x00, 0x00, 0x00, 0xaa, 0xaa]), // DTC P0A80-1C status 0x09 (active), U0100-00 status 0 (inactive)
  ];
  const [v] = run([batch(frames)]);
  assert.equal(v!.features['uds_request_count'], 4);
  close(v!.features['nrc_share'], 1 / 4); // with 0x78 counted it would be 2/5
  close(v!.features['diag_latency_mean_ms'], (20 + 50 + 10 + 30) / 4);
  assert.equal(v!.features['diag_latency_offset_ms'], undefined); // no baseline yet
  close(v!.features['dtc_reports_per_s'], 0.1);
  close(v!.features['dtc_active_per_s'], 0.1);
  assert.deepEqual(v!.dtcCodes, ['P0A801C']);
});

test('diagnostic latency offset from the vehicle baseline', () => {
  const req = (t: number, lat: number) => [fr(t, 0x7e0, [0x02, 0x10, 0x01]), fr(t + lat, 0x7e8, [0x02, 0x50, 0x01])];
  const d = new Driver(createCanFeaturesProcessor({ latencyBaselineAlpha: 0.5 }));
  d.feed(Topics.can, batch([...req(T0 + 100, 20), ...req(T0 + 200, 30)]));
  d.feed(Topics.can, batch([...req(T0 + 10_100, 45)], { batchStartUs: (T0 + 10_000) * US, batchEndUs: (T0 + 20_000) * US }));
  const out = d.advanceTo(T0 + 60_000) as CanFeatureVector[];
  assert.equal(out.length, 2);
  close(out[0]!.features['diag_latency_mean_ms'], 25);
  close(out[1]!.features['diag_latency_offset_ms'], 45 - 25); // baseline = first window's mean
  const third = (d.feed(Topics.can, batch(req(T0 + 60_100, 35), { batchStartUs: (T0 + 60_000) * US, batchEndUs: (T0 + 70_000) * US })), d.advanceTo(T0 + 90_000)) as CanFeatureVector[];
  close(third[0]!.features['diag_latency_offset_ms'], 35 - (25 + 0.5 * (45 - 25))); // EWMA α = 0.5
});

test('payload byte entropy in bits per byte', () => {
  const one = (bytes: number[]) => run([batch(bytes.map((b, i) => fr(T0 + i, 0x400 + (i % 2), [b])))])[0]!.features['payload_entropy_bits'];
  close(one(Array(64).fill(0x55)), 0);
  close(one(Array.from({ length: 256 }, (_, i) => i)), 8);
  close(one([...Array(32).fill(0x00), ...Array(32).fill(0xff)]), 1);
  close(one([0, 0, 1, 2]), 1.5); // p = ½, ¼, ¼
});

test('frames are windowed by their own time; the covered time of a straddling batch is split', () => {
  const b = batch([fr(T0 + 9_900, 0x500, [1]), fr(T0 + 10_100, 0x500, [1]), fr(T0 + 10_200, 0x500, [1])], { batchStartUs: (T0 + 9_000) * US, batchEndUs: (T0 + 11_000) * US });
  const out = run([b]);
  assert.deepEqual(out.map((v) => [v.windowStartMs, v.frameCount, v.coveredMs]), [[T0, 1, 1000], [T0 + 10_000, 2, 1000]]);
  close(out[1]!.features['frames_per_s'], 2); // 2 frames per covered second
  // windows close only when the watermark passes their end
  const d = new Driver(createCanFeaturesProcessor());
  d.feed(Topics.can, b);
  assert.deepEqual(d.advanceTo(T0 + 9_999), []);
  assert.equal((d.advanceTo(T0 + 10_000) as CanFeatureVector[]).length, 1);
});

test('dimensions without data are listed as missing, never NaN', () => {
  const [v] = run([batch([fr(T0 + 1, 0x123, [1, 2, 3])])]);
  for (const [k, x] of Object.entries(v!.features)) assert.ok(Number.isFinite(x), k);
  assert.deepEqual(v!.missingDimensions.sort(), ['cycle_jitter_ratio', 'diag_latency_mean_ms', 'diag_latency_offset_ms', 'missing_periodic_share']);
});
