/**
 * Periodic-traffic features of a capture nobody configured (no DBC, unknown model) against
 * the schedule the vehicle is learned to send, and of a vehicle whose model's network names
 * its periodic messages against those. Synthetic captures, run through the replay runtime
 * with the vehicle registry as a global table; expected shares are computed by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CanFrame, CanFrameBatch } from '../../../streams/processors/can/can-batch.ts';
import { createCanFeaturesProcessor, type CanFeaturesProcessorConfig, type CanFeatureVector } from '../../../streams/processors/can/can-features.ts';
import type { CanNetworks } from '../../../streams/processors/can/can-network.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { Topics } from '../../../streams/topic-catalog.ts';

const T0 = 1_764_000_000_000; // a multiple of 10 s
const S = 1000;

interface Periodic { id: number; periodMs: number; dlc: number; stopAtMs?: number; dlcFromMs?: number; dlcAfter?: number }

/**
 * One vehicle's capture, one batch per second: periodic ids (with ±1 ms alternating jitter on
 * the fastest), UDS request/response pairs every 2 s and an event-driven id in bursts.
 */
function capture(vehicleId: string, seconds: number, ids: readonly Periodic[]): CanFrameBatch[] {
  const frames: CanFrame[] = [];
  for (const p of ids) {
    for (let k = 0; k * p.periodMs < seconds * S; k++) {
      const t = k * p.periodMs + (p.periodMs <= 20 ? (k % 2 ? 1 : -1) * (k > 0 ? 1 : 0) : 0);
      if (p.stopAtMs !== undefined && t >= p.stopAtMs) break;
      const dlc = p.dlcFromMs !== undefined && t >= p.dlcFromMs ? p.dlcAfter! : p.dlc;
      frames.push({ timestampUs: (T0 + t) * S, id: p.id, dlc, data: new Uint8Array(dlc).fill(k & 0xff) });
    }
  }
  for (let t = 500; t < seconds * S; t += 2000) {
    frames.push({ timestampUs: (T0 + t) * S, id: 0x7e0, dlc: 8, data: Uint8Array.from([2, 0x3e, 0, 0, 0, 0, 0, 0]) });
    frames.push({ timestampUs: (T0 + t + 7) * S, id: 0x7e8, dlc: 8, data: Uint8Array.from([2, 0x7e, 0, 0, 0, 0, 0, 0]) });
  }
  // Event-driven: bursts of 5 frames 10 ms apart every 7 s.
  for (let t = 3000; t < seconds * S; t += 7000) for (let j = 0; j < 5; j++) frames.push({ timestampUs: (T0 + t + 10 * j) * S, id: 0x555, dlc: 2, data: Uint8Array.from([j, 0]) });
  frames.sort((a, b) => a.timestampUs - b.timestampUs);
  const batches: CanFrameBatch[] = [];
  for (let s = 0; s < seconds; s++) {
    const from = (T0 + s * S) * S;
    const to = from + S * S;
    batches.push({ vehicleId, bus: 'main', bitrateBps: 500_000, seq: s, batchStartUs: from, batchEndUs: to, frames: frames.filter((f) => f.timestampUs >= from && f.timestampUs < to), droppedFrames: 0 });
  }
  return batches;
}

function run(batches: CanFrameBatch[], models: Record<string, string>, cfg: CanFeaturesProcessorConfig = {}) {
  const records: ReplayRecord[] = [
    ...Object.entries(models).map(([vehicleId, model]) => ({ topic: Topics.vehicles, key: vehicleId, value: { vehicleId, model, modelYear: null, ecuSoftware: {}, source: null, updatedAtMs: T0 } })),
    ...batches.sort((a, b) => a.batchStartUs - b.batchStartUs).map((b) => ({ topic: Topics.can, key: b.vehicleId, value: b })),
  ];
  const r = replay([createCanFeaturesProcessor(cfg)], records);
  const vectors = (r.outputs[Topics.canFeatures] ?? []).map((o) => o.value as CanFeatureVector);
  const byWindow = (v: string) => vectors.filter((x) => x.vehicleId === v).sort((a, b) => a.windowStartMs - b.windowStartMs);
  return { byWindow, state: r.finalState };
}

const VAN: Periodic[] = [
  { id: 0x100, periodMs: 20, dlc: 8 },
  { id: 0x200, periodMs: 100, dlc: 4, stopAtMs: 70_000 },
  { id: 0x300, periodMs: 500, dlc: 8, dlcFromMs: 80_000, dlcAfter: 6 },
];
const window = (i: number) => T0 + i * 10_000;

test('a capture with no DBC: ≈ 0 missing on the healthy bus, rising when an id stops; DLC and jitter judged against what it sends', () => {
  const { byWindow } = run(capture('VAN-1', 145, VAN), {});
  const w = byWindow('VAN-1');
  assert.ok(w.length >= 9, `windows closed: ${w.length}`);
  // Learned in the first 30 s: 0x100 every 20 ms, 0x200 every 100 ms, 0x300 every 500 ms; UDS and the bursty 0x555
  // are not periodic (counting them would make the share jump with every diagnostic pause or burst).
  for (const v of w.filter((x) => x.windowEndMs <= window(7))) {
    assert.ok(v.features.missing_periodic_share! <= 0.005, `healthy window ${v.windowStartMs - T0}: ${v.features.missing_periodic_share}`);
    assert.equal(v.features.dlc_mismatch_share, 0);
  }
  // Frames after learning are timed against the learned periods: only 0x100 jitters, by 1 or 2 ms in 20.
  for (const v of w.filter((x) => x.windowStartMs >= window(3) && x.windowEndMs <= window(7))) {
    assert.ok(v.features.cycle_jitter_ratio! > 0.01 && v.features.cycle_jitter_ratio! < 0.1, `jitter ${v.features.cycle_jitter_ratio}`);
  }
  // 0x200 stops at 70 s: 100 of the 500 + 100 + 20 expected frames per window are missing.
  const after = w.filter((x) => x.windowStartMs >= window(7));
  assert.ok(after.length >= 2, 'windows after 0x200 stopped closed');
  for (const v of after) assert.ok(Math.abs(v.features.missing_periodic_share! - 100 / 620) < 0.005, `window ${v.windowStartMs - T0}: ${v.features.missing_periodic_share} vs ${100 / 620}`);
  // From 80 s, 0x300 sends 6 bytes instead of the 8 it was learned with: all 20 of its frames per window mismatch.
  const dlcWindow = w.find((x) => x.windowStartMs === window(9))!;
  assert.ok(Math.abs(dlcWindow.features.dlc_mismatch_share! - 20 / dlcWindow.frameCount) < 1e-9, `${dlcWindow.features.dlc_mismatch_share}`);
});

test('windows that close before learning ends are not judged', () => {
  const w = run(capture('VAN-1', 60, VAN), {}, { allowedLatenessMs: 0 }).byWindow('VAN-1');
  for (const v of w.slice(0, 2)) {
    assert.equal(v.features.missing_periodic_share, undefined, `window ${v.windowStartMs - T0}`);
    assert.ok(v.missingDimensions.includes('missing_periodic_share'), 'listed as missing');
  }
  assert.ok(w.length > 3 && w.slice(3).every((v) => v.features.missing_periodic_share! <= 0.005), 'judged once learned');
});

test('a model whose network names its periodic messages is judged against them from its first window; an unknown model learns', () => {
  const networks: CanNetworks = new Map([['van', new Map([['main', { cycleTimesMs: new Map([[0x100, 20], [0x200, 100]]), expectedDlc: new Map([[0x100, 8], [0x200, 4]]) }]])]]);
  const { byWindow } = run([...capture('VAN-1', 125, VAN), ...capture('OTHER-1', 125, VAN)], { 'VAN-1': 'van', 'OTHER-1': 'unknown-model' }, { networks });
  const van = byWindow('VAN-1');
  // Only the named ids count: 0x300 is not in the network. Window 0 is judged at once.
  assert.ok(van[0]!.features.missing_periodic_share! <= 0.005, `${van[0]!.features.missing_periodic_share}`);
  const vanAfter = van.filter((x) => x.windowStartMs >= window(7));
  assert.ok(vanAfter.length > 0, 'windows after 0x200 stopped closed');
  for (const v of vanAfter) assert.ok(Math.abs(v.features.missing_periodic_share! - 100 / 600) < 0.005, `${v.features.missing_periodic_share}`);
  // The same capture under a model nobody configured: judged against what it was learned to send, 0x300 included.
  const other = byWindow('OTHER-1').filter((x) => x.windowStartMs >= window(7));
  assert.ok(other.length > 0, 'windows after 0x200 stopped closed');
  for (const v of other) assert.ok(Math.abs(v.features.missing_periodic_share! - 100 / 620) < 0.005, `${v.features.missing_periodic_share}`);
});

test('the network\'s bitrate is used for bus load when the record has none', () => {
  const networks: CanNetworks = new Map([['van', new Map([['main', { cycleTimesMs: new Map(), bitrateBps: 250_000 }]])]]);
  const batches = capture('VAN-1', 60, VAN).map((b) => ({ ...b, bitrateBps: null }));
  const slow = run(batches, { 'VAN-1': 'van' }, { networks }).byWindow('VAN-1')[0]!;
  const fast = run(batches, { 'VAN-1': 'other' }, { networks }).byWindow('VAN-1')[0]!;
  assert.equal(slow.bitrateBps, 250_000);
  assert.equal(fast.bitrateBps, 500_000);
  assert.ok(Math.abs(slow.features.bus_load_actual! - 2 * fast.features.bus_load_actual!) < 1e-9, 'half the bitrate, twice the load');
});

test('a link flooding distinct ids keeps per-id state bounded', () => {
  const flood: CanFrame[] = Array.from({ length: 5000 }, (_, i) => ({ timestampUs: (T0 + i) * S, id: 0x10000 + i, extended: true, dlc: 1, data: Uint8Array.from([i & 0xff]) }));
  const batches: CanFrameBatch[] = [
    { vehicleId: 'HOSTILE', bus: 'main', bitrateBps: 500_000, seq: 0, batchStartUs: T0 * S, batchEndUs: (T0 + 5000) * S, frames: flood, droppedFrames: 0 },
    ...capture('HOSTILE', 60, VAN).slice(5),
  ];
  const { state, byWindow } = run(batches, {}, { maxIdsPerLink: 64 });
  const link = state['can-features']![0]!['l|HOSTILE|main'] as { lastTsUs: Record<string, number>; dlcHist: Record<string, unknown>; learning?: { ids: Record<string, unknown> } };
  assert.ok(Object.keys(link.lastTsUs).length <= 64, `${Object.keys(link.lastTsUs).length} ids kept`);
  assert.ok(Object.keys(link.dlcHist).length <= 64, 'DLC histograms bounded');
  assert.ok(byWindow('HOSTILE')[0]!.frameCount >= 5000, 'every frame is still counted');
});
