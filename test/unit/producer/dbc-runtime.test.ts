/**
 * DBC decoding at run time: frames of known ids become can_signal metrics with the values
 * cantools decodes, unknown ids are counted and still travel raw in the CAN batches, and a
 * DBC that does not parse stops `produce` with file, line and reason (DBC_INVALID).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDbcFiles, SIGNAL_METRIC } from '../../../vehicle-producer/dbc/signal-decoder.ts';
import { replayDrive, replaySources } from '../../../vehicle-producer/publish/replay.ts';
import { producerRegistry } from '../../../vehicle-producer/producer-metrics.ts';
import type { CanFrameBatchRecord, MetricRecord } from '../../../vehicle-producer/schemas.ts';

const CASES = 'test/fixtures/dbc/decoder-cases.dbc';
const CLI = join(import.meta.dirname, '../../../streams/cli.ts');

function tmpDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-dbc-runtime-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Captured { signals: MetricRecord[]; frames: number }

function capture(): Captured & { onRecord: (topic: string, key: string, value: unknown) => void } {
  const c: Captured = { signals: [], frames: 0 };
  return Object.assign(c, {
    onRecord: (topic: string, _key: string, value: unknown) => {
      if (topic.includes('metrics') && (value as MetricRecord).name === SIGNAL_METRIC) c.signals.push(value as MetricRecord);
      if (topic.includes('can')) c.frames += (value as CanFrameBatchRecord).frames.length;
    },
  });
}

async function undecodedCount(reason: string): Promise<number> {
  const m = await producerRegistry.getSingleMetric('fmeaflow_producer_frames_undecoded_total')!.get();
  return m.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

test('cantools vectors (decoder cases, Motorola message) decode to can_signal metrics with the same values; unknown ids are counted and passed through', async (t) => {
  const fixture = JSON.parse(readFileSync('test/fixtures/dbc/decoder-cases.vectors.json', 'utf8')) as { messages: { name: string; frameId: number; vectors: { data: string; values?: Record<string, number> }[] }[] };
  const msg = fixture.messages.find((m) => m.name === 'MOTOROLA_PLAIN')!;
  const vectors = msg.vectors.filter((v) => v.values);
  assert.ok(vectors.length >= 4);
  const lines: string[] = [];
  // One vector per second, so the 1 s signal interval publishes every one; an unknown id in between.
  vectors.forEach((v, i) => {
    lines.push(`(${1_736_150_400 + i}.000000) can0 ${msg.frameId.toString(16).toUpperCase().padStart(3, '0')}#${v.data.toUpperCase()}`);
    lines.push(`(${1_736_150_400 + i}.500000) can0 123#0102`);
  });
  const file = join(tmpDir(t), 'moto.log');
  writeFileSync(file, lines.join('\n') + '\n');
  const unknownBefore = await undecodedCount('unknown_id');
  const c = capture();
  const r = await replaySources([{ type: 'candump', file, vehicleId: 'V1' }], { dryRun: true, dbc: loadDbcFiles([CASES]), onRecord: c.onRecord });

  assert.equal(c.frames, lines.length, 'every frame, decoded or not, is in the CAN batches');
  assert.deepEqual({ decoded: r.decode?.decodedFrames, unknown: r.decode?.unknownFrames, ids: r.decode?.unknownIds }, { decoded: vectors.length, unknown: vectors.length, ids: [['0x123', vectors.length]] });
  assert.equal((await undecodedCount('unknown_id')) - unknownBefore, vectors.length, 'unknown ids counted on /metrics');
  vectors.forEach((v, i) => {
    for (const [sig, want] of Object.entries(v.values!)) {
      const got = c.signals.filter((m) => m.labels.signal === sig && m.timestampMs === (1_736_150_400 + i) * 1000);
      assert.equal(got.length, 1, `${sig} at vector ${i}`);
      assert.ok(Math.abs(got[0]!.value! - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${sig}: ${got[0]!.value} vs cantools ${want}`);
      assert.deepEqual(got[0]!.labels, { bus: 'can0', message: 'MOTOROLA_PLAIN', signal: sig });
      assert.equal(got[0]!.vehicleId, 'V1');
      assert.equal(got[0]!.kind, 'GAUGE');
    }
  });
  assert.equal(c.signals.find((m) => m.labels.signal === 'SignedMoto')!.unit, 'A', 'unit from the DBC');
});

test('signal points are thinned to one per signal per --signal-interval-ms of event time', async (t) => {
  const lines = Array.from({ length: 10 }, (_, i) => `(1736150400.${String(i * 10_000).padStart(6, '0')}) can0 2A3#1027E803C8190500`);
  const file = join(tmpDir(t), 'bms.log');
  writeFileSync(file, lines.join('\n') + '\n');
  const c = capture();
  const r = await replaySources([{ type: 'candump', file, vehicleId: 'V' }], { dryRun: true, dbc: loadDbcFiles(['vehicle-producer/dbc/fleet-extras.dbc']), signalIntervalMs: 50, onRecord: c.onRecord });
  assert.equal(r.decode?.decodedFrames, 10);
  const soc = c.signals.filter((m) => m.labels.signal === 'StateOfCharge');
  assert.deepEqual(soc.map((m) => m.timestampMs - 1_736_150_400_000), [0, 50]);
  assert.equal(soc[0]!.value, 100); // 0xC8 · 0.5
  assert.equal(c.signals.find((m) => m.labels.signal === 'PackCurrent')!.value, 100); // 0x03E8 · 0.1, signed
  assert.equal(c.signals.find((m) => m.labels.signal === 'PackVoltage')!.unit, 'V');
});

test('a drive with its vehicle DBC and the bundled extras: every hatchback id decodes except UDS, which is counted', async () => {
  const c = capture();
  const r = await replayDrive({ drive: 'drives/clean', dryRun: true, dbc: loadDbcFiles(['vehicle-producer/dbc/vehicles/hybrid_hatchback.dbc', 'vehicle-producer/dbc/fleet-extras.dbc']), onRecord: c.onRecord });
  const d = r.decode!;
  assert.ok(d.decodedFrames > 4000, `decoded ${d.decodedFrames}`);
  assert.ok(d.unknownIds.some(([id]) => id === '0x7E8'), 'UDS responses are not in the powertrain DBC');
  const bms = new Set(c.signals.filter((m) => m.labels.message === 'BMS_STATUS').map((m) => m.vehicleId));
  assert.ok(bms.has('VIN-SIM-0001') && bms.has('VIN-SIM-0004'), 'the BMS heartbeat from the bundled DBC decodes on the hatchback vehicles');
  const speed = new Set(c.signals.filter((m) => m.labels.message === 'VEHICLE_SPEED').map((m) => m.vehicleId));
  assert.deepEqual([...speed].sort(), ['VIN-SIM-0001', 'VIN-SIM-0004'], 'the hatchback DBC decodes the hatchbacks\' speed only (the other models use other ids)');
});

test('produce --dbc: a malformed DBC exits with file, line and reason [DBC_INVALID], a missing one names the path; no stack trace', (t) => {
  const dir = tmpDir(t);
  const bad = join(dir, 'bad.dbc');
  writeFileSync(bad, 'VERSION ""\n\nBO_ 100 Msg: 8 ECU\n SG_ Speed : 0|16@1+ (0.1,0 [0|100] "km/h" GW\n');
  const log = join(dir, 'x.log');
  writeFileSync(log, '(1736150400.000000) can0 064#0000000000000000\n');
  const r = spawnSync('npx', ['tsx', CLI, 'produce', log, '--dry-run', '--dbc', `vehicle-producer/dbc/fleet-extras.dbc,${bad}`], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4 \\(SG_\\): malformed signal .*\\[DBC_INVALID\\]`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  const missing = spawnSync('npx', ['tsx', CLI, 'produce', log, '--dry-run', '--dbc', join(dir, 'nope.dbc')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /DBC file '.*nope\.dbc' does not exist.*\[CLI_BAD_ARGUMENT\]/);
  const ok = spawnSync('npx', ['tsx', CLI, 'produce', log, '--dry-run', '--dbc', CASES], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /1 frames with ids in no DBC, passed through undecoded: 0x064 ×1/);
});
