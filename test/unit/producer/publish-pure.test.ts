/**
 * The broker-free parts of publishing: batching windows and sequence numbers, the
 * bandwidth token bucket, the adaptive log sampling rule (hand-computed from the rule in
 * the issue) and fan-out renaming.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CanBatcher } from '../../../vehicle-producer/publish/can-batcher.ts';
import { BandwidthCap, frameCostBytes } from '../../../vehicle-producer/publish/bandwidth-cap.ts';
import { LogSampler, samplingRateFor } from '../../../vehicle-producer/publish/log-sampler.ts';
import { cloneRecord, cloneVehicleId } from '../../../vehicle-producer/publish/fan-out.ts';
import type { CanFrame } from '../../../vehicle-producer/can-frame.ts';

const fr = (tUs: number, id = 0x100, iface = 'main'): CanFrame => ({ timestampUs: tUs, iface, id, extended: false, fd: false, brs: false, esi: false, rtr: false, error: false, dlc: 2, data: Buffer.from([1, 2]) });

test('batches are aligned 100 ms windows per vehicle and bus with gap-free sequence numbers', () => {
  const b = new CanBatcher({ batchMs: 100 });
  const out = [];
  for (const t of [1_000_000, 1_050_000, 1_099_999]) assert.equal(b.add('A', fr(t)), null);
  assert.equal(b.add('B', fr(1_020_000)), null);
  out.push(b.add('A', fr(1_100_000))); // closes A's [1.0 s, 1.1 s)
  out.push(...b.flush());
  const a0 = out[0]!;
  assert.equal(a0.vehicleId, 'A');
  assert.equal(a0.batchStartUs, 1_000_000);
  assert.equal(a0.batchEndUs, 1_100_000);
  assert.equal(a0.frames.length, 3);
  assert.equal(a0.seq, 0);
  const rest = out.slice(1).map((x) => [x!.vehicleId, x!.seq, x!.frames.length]);
  assert.deepEqual(rest.sort(), [['A', 1, 1], ['B', 0, 1]]);
  b.noteDropped('A', 'main', 7);
  b.add('A', fr(2_000_000));
  const [last] = b.flush();
  assert.equal(last!.droppedFrames, 7);
  assert.equal(last!.seq, 2);
});

test('bandwidth cap: 1 s burst then the configured rate; other vehicles unaffected', () => {
  const cost = frameCostBytes(8); // 24 bytes
  const cap = new BandwidthCap(240); // 10 frames/s
  let ok = 0;
  for (let i = 0; i < 20; i++) if (cap.admit('A', 0, cost)) ok++;
  assert.equal(ok, 10); // the burst
  assert.equal(cap.admit('A', 50_000, cost), false); // 50 ms refills 12 bytes < 24
  assert.equal(cap.admit('A', 100_000, cost), true); // 100 ms refills 24
  assert.equal(cap.admit('B', 0, cost), true);
  assert.equal(new BandwidthCap(0).admit('A', 0, 1e9), true);
});

test('sampling rate: 0.1 base, +0.05 per full 0.5 pp above 0.5 %, capped at 1', () => {
  assert.equal(samplingRateFor(0), 0.1);
  assert.equal(samplingRateFor(0.005), 0.1); // exactly 0.5 %: not above
  assert.equal(samplingRateFor(0.0099), 0.1); // 0.49 pp above
  assert.equal(samplingRateFor(0.01), 0.15); // 0.5 pp above → one step
  assert.equal(samplingRateFor(0.02), 0.25); // 1.5 pp → three steps
  assert.equal(samplingRateFor(0.05), 0.55); // 4.5 pp → nine steps
  assert.equal(samplingRateFor(0.095), 1); // 9 pp → 18 steps → 1.0
  assert.equal(samplingRateFor(0.5), 1);
});

test('sampler keeps ERROR/FATAL always and about rate·n of the rest, recording the rate', () => {
  let x = 0;
  const s = new LogSampler(() => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648));
  let kept = 0;
  for (let i = 0; i < 10_000; i++) { const r = s.decide('V', 'INFO'); if (r !== null) { kept++; assert.equal(r, 0.1); } }
  assert.ok(kept > 850 && kept < 1150, `kept ${kept} of 10000 at 0.1`);
  assert.equal(s.decide('V', 'ERROR'), 1);
  assert.equal(s.decide('V', 'FATAL'), 1);
  s.observeErrorRate('V', 0.03); // 2.5 pp above → 5 steps → 0.35
  assert.equal(s.rateOf('V'), 0.35);
  assert.equal(s.rateOf('W'), 0.1);
});

test('fan-out clones rename vehicles, shift time, keep traces unique and list clones in release cohorts', () => {
  assert.equal(cloneVehicleId('V1', 0), 'V1');
  assert.equal(cloneVehicleId('V1', 2), 'V1-x2');
  const span = { kind: 'spans' as const, value: { vehicleId: 'V1', traceId: 'abcdef0123456789abcdef0123456789', spanId: '0123456789abcdef', parentSpanId: null, service: 's', serviceVersion: null, name: 'n', kind: 'SERVER' as const, startTimeUs: 1000, endTimeUs: 2000, status: 'OK' as const, statusMessage: null, attributes: {} } };
  const c = cloneRecord(span, 3, 250_000, 4)!;
  assert.equal(c.kind, 'spans');
  if (c.kind === 'spans') {
    assert.equal(c.value.vehicleId, 'V1-x3');
    assert.equal(c.value.traceId, '0003ef0123456789abcdef0123456789');
    assert.equal(c.value.startTimeUs, 751_000);
  }
  const rel = { kind: 'releases' as const, value: { releaseId: 'r', service: 's', version: '2', baselineVersion: '1', phase: 'START' as const, trafficPercent: 50, cohort: 'canary', cohortVehicleIds: ['V1'], timestampMs: 5 } };
  assert.equal(cloneRecord(rel, 1, 0, 3), null);
  const r0 = cloneRecord(rel, 0, 0, 3)!;
  assert.deepEqual(r0.kind === 'releases' && r0.value.cohortVehicleIds, ['V1', 'V1-x1', 'V1-x2']);
});
