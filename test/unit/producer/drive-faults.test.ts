/**
 * Each committed fault drive shows its fault where drives/manifest.json says — read back
 * with the producer's own candump/JSONL readers, like a user would — and the clean
 * drive shows none of them. Thresholds come from the scenario parameters, not from
 * the generated data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseCandumpText } from '../../../vehicle-producer/sources/candump-source.ts';
import { IssueLog } from '../../../vehicle-producer/sources/source-errors.ts';
import { reassemble } from '../../../vehicle-producer/sim/isotp.ts';
import type { CanFrame } from '../../../vehicle-producer/can-frame.ts';
import type { DriveManifest, DriveManifestEntry } from '../../../vehicle-producer/drive/drive-manifest.ts';
import type { LogRecordValue, MetricRecord, ReleaseEventRecord, SpanRecord } from '../../../vehicle-producer/schemas.ts';

const manifest = JSON.parse(readFileSync('drives/manifest.json', 'utf8')) as DriveManifest;

function text(p: string): string {
  const b = readFileSync(p);
  return (p.endsWith('.gz') ? gunzipSync(b) : b).toString('utf8');
}
function jsonl<T>(p: string): T[] {
  return text(p).split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}
interface Drive { e: DriveManifestEntry; frames: Map<string, CanFrame[]>; logs: LogRecordValue[]; metrics: MetricRecord[]; spans: SpanRecord[]; releases: ReleaseEventRecord[] }
function load(name: string): Drive {
  const e = manifest.drives.find((d) => d.name === name)!;
  const dir = join('drives', e.path);
  const frames = new Map<string, CanFrame[]>();
  for (const v of e.vehicles) {
    const issues = new IssueLog();
    frames.set(v.vehicleId, parseCandumpText(text(join(dir, v.canFile)), v.canFile, issues));
    assert.equal(issues.count, 0, `${v.canFile}: ${issues.format().join('; ')}`);
  }
  return { e, frames, logs: jsonl(join(dir, e.files.logs)), metrics: jsonl(join(dir, e.files.metrics)), spans: jsonl(join(dir, e.files.spans)), releases: jsonl(join(dir, e.files.releases)) };
}
const onsetUs = (d: Drive): number => d.e.faults[0]!.onsetTimeMs * 1000;
const affected = (d: Drive): string[] => d.e.faults[0]!.affectedVehicles;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function maxGapMs(ts: number[]): number {
  let g = 0;
  for (let i = 1; i < ts.length; i++) g = Math.max(g, (ts[i]! - ts[i - 1]!) / 1000);
  return g;
}

/** Final UDS replies (response ids 0x7E8-0x7EF; 0x78 pending is not final) as [timeUs, payload]. */
function udsReplies(frames: CanFrame[]): [number, number[]][] {
  const out: [number, number[]][] = [];
  const open = new Map<number, { t: number; parts: Buffer[] }>();
  for (const f of frames) {
    if (f.error || f.id < 0x7e8 || f.id > 0x7ef) continue;
    const pci = f.data[0]! >> 4;
    if (pci === 0) {
      const p = reassemble([f.data])!;
      if (!(p[0] === 0x7f && p[2] === 0x78)) out.push([f.timestampUs, p]);
    } else if (pci === 1) open.set(f.id, { t: f.timestampUs, parts: [f.data] });
    else if (pci === 2) {
      const o = open.get(f.id);
      if (!o) continue;
      o.parts.push(f.data);
      const p = reassemble(o.parts);
      if (p) { out.push([o.t, p]); open.delete(f.id); }
    }
  }
  return out;
}

test('manifest: six drives, each with vehicles, duration, fault kind, onset (offset and absolute) and signature', () => {
  assert.deepEqual(manifest.drives.map((d) => d.name), ['bootloader-check-fail', 'can-timeout', 'clean', 'eeprom-verify-fail', 'gray-release-latency', 'harness-reflection']);
  for (const d of manifest.drives) {
    assert.equal(d.vehicles.length, 4);
    assert.equal(d.durationMs, 120_000);
    assert.equal(d.faults.length, d.name === 'clean' ? 0 : 1);
    for (const f of d.faults) {
      assert.equal(f.kind, d.name);
      assert.equal(f.onsetTimeMs, d.baseTimeMs + f.onsetMs);
      assert.equal(new Date(f.onsetTime).getTime(), f.onsetTimeMs);
      assert.ok(f.affectedVehicles.length >= 1 && f.expectedSignature.length > 20);
    }
  }
});

test('can-timeout: sporadic 0x2A3 timeouts on every vehicle, a burst on affected vehicles after onset; error rate rises', () => {
  const d = load('can-timeout');
  const f = d.e.faults[0]!;
  const timeoutMs = Number(f.params.timeoutMs);
  const cycleMs = 100;
  // Healthy gateways lose the heartbeat for one timeout plus one cycle every [lo, hi] s (the manifest records the interval).
  const [lo, hi] = f.signature.baselineIntervalS as [number, number];
  const onsetS = f.onsetMs / 1000;
  const durationS = d.e.durationMs / 1000;
  const gapsOver = (ts: number[]): number => ts.slice(1).filter((t, i) => (t - ts[i]!) / 1000 > timeoutMs).length;
  const isTimeout = (l: LogRecordValue): boolean => /^CAN msg 0x2A3 timeout after 250 ms on bus main$/.test(l.body);
  for (const [vid, frames] of d.frames) {
    const ts = frames.filter((x) => x.id === 0x2a3 && !x.error).map((x) => x.timestampUs);
    const before = ts.filter((t) => t < onsetUs(d));
    const after = ts.filter((t) => t >= onsetUs(d));
    // A sporadic loss is one gap over the timeout: the lost span (timeout + one cycle) plus at most two jittered cycles around it.
    const maxLossGapMs = timeoutMs + cycleMs + 2 * cycleMs * 1.05;
    assert.ok(maxGapMs(before) < maxLossGapMs, `${vid} gap before onset ${maxGapMs(before)} ms`);
    const sporadicBefore = gapsOver(before);
    assert.ok(sporadicBefore >= Math.floor(onsetS / hi) - 1 && sporadicBefore <= Math.ceil(onsetS / lo), `${vid}: ${sporadicBefore} heartbeat losses before onset`);
    const lines = d.logs.filter((l) => l.vehicleId === vid && isTimeout(l));
    assert.equal(lines.filter((l) => l.timestampMs < f.onsetTimeMs).length, sporadicBefore, `${vid}: one timeout line per loss before onset`);
    if (affected(d).includes(vid)) {
      // 60 s at a 100 ms cycle = 600 slots; drop probability 0.6 leaves ~240.
      assert.ok(after.length < 600 * (1 - Number(f.params.dropProbability)) * 1.3, `${vid}: ${after.length} 0x2A3 frames after onset`);
      assert.ok(maxGapMs(after) > timeoutMs, `${vid}: max gap ${maxGapMs(after)} ms`);
      // The fault's timeouts come many times faster than the sporadic ones ever do (at most one per lo seconds).
      const perS = lines.filter((l) => l.timestampMs >= f.onsetTimeMs).length / (durationS - onsetS);
      assert.ok(perS > 5 / lo, `${vid}: ${perS.toFixed(2)} timeout lines/s after onset`);
    } else {
      assert.ok(after.length > 590 - (Math.ceil((durationS - onsetS) / lo) * (timeoutMs + cycleMs)) / cycleMs, `${vid} unaffected but only ${after.length} frames`);
      assert.ok(maxGapMs(after) < maxLossGapMs);
      assert.equal(lines.length, gapsOver(ts), `${vid}: one timeout line per loss`);
      assert.ok(lines.length <= Math.ceil(durationS / lo), `${vid}: ${lines.length} sporadic timeout lines`);
    }
  }
  for (const vid of affected(d)) {
    const er = d.metrics.filter((m) => m.vehicleId === vid && m.name === 'can_bus_error_rate');
    const pre = mean(er.filter((m) => m.timestampMs <= f.onsetTimeMs).map((m) => m.value!));
    const post = mean(er.filter((m) => m.timestampMs > f.onsetTimeMs + 1000).map((m) => m.value!));
    assert.ok(post > 0.05 && post > 10 * pre, `${vid} error rate ${pre} → ${post}`);
  }
  // The clean drive (same fleet and seed, no sporadic losses configured) has no timeout line at all.
  assert.equal(load('clean').logs.filter(isTimeout).length, 0);
});

test('eeprom-verify-fail: a new BMS ERROR template after onset on affected vehicles only, tied to ERROR spans', () => {
  const d = load('eeprom-verify-fail');
  const f = d.e.faults[0]!;
  const re = /^EEPROM verify failed at block 0x[0-9A-F]{2}: expected CRC 0x[0-9A-F]{4} got 0x[0-9A-F]{4}$/;
  const hits = d.logs.filter((l) => l.body.startsWith('EEPROM verify failed'));
  for (const l of hits) {
    assert.match(l.body, re);
    assert.equal(l.level, 'ERROR');
    assert.equal(l.service, 'bms');
    assert.ok(l.timestampMs >= f.onsetTimeMs && affected(d).includes(l.vehicleId));
    assert.ok(d.spans.some((s) => s.traceId === l.traceId && s.name === 'eeprom.read' && s.status === 'ERROR'), 'no ERROR span in the same trace');
  }
  // period 3 s over 60 s: ~20 per affected vehicle; allow wide jitter.
  for (const vid of affected(d)) assert.ok(hits.filter((l) => l.vehicleId === vid).length >= 10, `${vid}: too few EEPROM lines`);
  assert.equal(load('clean').logs.filter((l) => l.body.includes('EEPROM verify')).length, 0);
});

test('harness-reflection: error frames, DLC mismatches and id collisions on the affected bus after onset', () => {
  const d = load('harness-reflection');
  const f = d.e.faults[0]!;
  const clean = load('clean');
  for (const [vid, frames] of d.frames) {
    const errBefore = frames.filter((x) => x.error && x.timestampUs < onsetUs(d)).length / 60;
    const errAfter = frames.filter((x) => x.error && x.timestampUs >= onsetUs(d)).length / 60;
    assert.ok(errBefore < 0.5, `${vid} ${errBefore} error frames/s before onset`);
    // DLC per cyclic id as the clean drive of the same seed sends it (= the DBC message length).
    const dlcOf = new Map<number, number>();
    for (const c of clean.frames.get(vid)!) if (!c.error && c.id < 0x700) dlcOf.set(c.id, c.dlc);
    const mismatch = (x: CanFrame): boolean => !x.error && dlcOf.has(x.id) && x.dlc !== dlcOf.get(x.id);
    const shortAfter = frames.filter((x) => x.timestampUs >= onsetUs(d) && mismatch(x));
    const shortBefore = frames.filter((x) => x.timestampUs < onsetUs(d) && mismatch(x));
    if (affected(d).includes(vid)) {
      assert.ok(errAfter >= Number(f.params.errorFramesPerS) * 0.6, `${vid} ${errAfter} error frames/s after onset`);
      assert.ok(shortAfter.length > 60, `${vid}: ${shortAfter.length} short frames after onset`);
      assert.equal(shortBefore.length, 0);
      const tec = frames.filter((x) => x.error && x.timestampUs >= onsetUs(d)).map((x) => x.data[6]!);
      assert.ok(Math.max(...tec) >= 128, 'tx error counter never reached error-passive');
      // Collisions: some id is seen far more often than the clean drive sends it.
      const extra = [...dlcOf.keys()].map((id) => frames.filter((x) => !x.error && x.id === id && x.timestampUs >= onsetUs(d)).length - clean.frames.get(vid)!.filter((x) => x.id === id && x.timestampUs >= onsetUs(d)).length);
      assert.ok(Math.max(...extra) > 0.5 * Number(f.params.collisionsPerS) * 60, `extra frames per id: ${extra.join(',')}`);
    } else {
      assert.ok(errAfter < 0.5);
      assert.equal(shortAfter.length, 0);
    }
  }
});

test('bootloader-check-fail: 0x7F dominates UDS replies after onset on affected vehicles (7F 31 72 present)', () => {
  const d = load('bootloader-check-fail');
  for (const [vid, frames] of d.frames) {
    const replies = udsReplies(frames);
    const share = (xs: [number, number[]][]): number => xs.filter(([, p]) => p[0] === 0x7f).length / Math.max(1, xs.length);
    const before = replies.filter(([t]) => t < onsetUs(d));
    const after = replies.filter(([t]) => t >= onsetUs(d));
    assert.ok(before.length > 10 && share(before) < 0.15, `${vid} negative share before onset ${share(before)}`);
    if (affected(d).includes(vid)) {
      assert.ok(share(after) > 0.5, `${vid} negative share after onset ${share(after)}`);
      assert.ok(after.some(([, p]) => p[0] === 0x7f && p[1] === 0x31 && p[2] === 0x72));
    } else assert.ok(share(after) < 0.15);
  }
  assert.ok(d.logs.some((l) => l.body.startsWith('Bootloader check failed') && affected(d).includes(l.vehicleId)));
});

test('clean drive: UDS is well-formed ISO-TP (responses at request+8, 0x59 DTC records, some 0x78 pending), no fault signatures', () => {
  const d = load('clean');
  let dtcReplies = 0;
  let pending = 0;
  for (const frames of d.frames.values()) {
    for (const [, p] of udsReplies(frames)) {
      if (p[0] === 0x59) {
        dtcReplies++;
        assert.equal(p[1], 0x02);
        assert.equal((p.length - 3) % 4, 0, 'DTC records are 3 bytes code + 1 status');
      }
      if (p[0] === 0x7f) assert.equal(p.length, 3);
    }
    pending += frames.filter((f) => f.id >= 0x7e8 && f.id <= 0x7ef && f.data[1] === 0x7f && f.data[3] === 0x78).length;
    for (const f of frames.filter((x) => x.id >= 0x7e8 && x.id <= 0x7ef)) {
      assert.ok(frames.some((r) => (r.id === f.id - 8 || r.id === 0x7df) && r.timestampUs < f.timestampUs), 'response without request');
    }
    assert.ok(frames.filter((x) => x.error).length < 20);
  }
  assert.ok(dtcReplies > 5);
  assert.ok(pending > 0);
  assert.equal(d.logs.filter((l) => /timeout after|EEPROM verify|Bootloader check failed/.test(l.body)).length, 0);
  assert.equal(d.releases.length, 0);
});

test('gray-release-latency: release events, canary-only version and latency regression', () => {
  const d = load('gray-release-latency');
  const f = d.e.faults[0]!;
  assert.deepEqual(d.releases.map((r) => r.phase), ['START', 'RAMP', 'END']);
  assert.equal(d.releases[0]!.timestampMs, f.onsetTimeMs);
  assert.deepEqual([...d.releases[2]!.cohortVehicleIds].sort(), [...affected(d)].sort());
  const clean = load('clean');
  for (const vid of d.e.vehicles.map((v) => v.vehicleId)) {
    const dur = (spans: SpanRecord[], pred: (s: SpanRecord) => boolean): number => mean(spans.filter((s) => s.vehicleId === vid && s.name === 'bms.readStatus' && pred(s)).map((s) => s.endTimeUs - s.startTimeUs));
    const canary = d.spans.filter((s) => s.vehicleId === vid && s.serviceVersion === '2.4.0');
    if (affected(d).includes(vid)) {
      assert.ok(canary.length > 20);
      assert.ok(canary.every((s) => s.startTimeUs >= onsetUs(d)));
      const slow = dur(d.spans, (s) => s.serviceVersion === '2.4.0');
      const base = dur(clean.spans, () => true);
      assert.ok(slow > 2 * base, `${vid}: canary ${slow} µs vs baseline ${base} µs`);
      assert.ok(d.metrics.some((m) => m.vehicleId === vid && m.name === 'service_latency_ms' && m.labels.version === '2.4.0'));
    } else {
      assert.equal(canary.length, 0);
      const ratio = dur(d.spans, () => true) / dur(clean.spans, () => true);
      assert.ok(ratio > 0.8 && ratio < 1.25, `${vid} unaffected but latency ratio ${ratio}`);
    }
  }
});
