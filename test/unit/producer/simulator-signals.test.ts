/**
 * The clean drive looks like real buses: every DBC id at its GenMsgCycleTime (100 ms where
 * the DBC has none) with jitter, decoded signal values inside their DBC ranges, and speed
 * signals that ramp smoothly instead of jumping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { parseCandumpText } from '../../../vehicle-producer/sources/candump-source.ts';
import { IssueLog } from '../../../vehicle-producer/sources/source-errors.ts';
import { loadDbcFile } from '../../../vehicle-producer/dbc/dbc-parser.ts';
import { decodeMessage } from '../../../vehicle-producer/dbc/signal-codec.ts';
import type { DriveManifestEntry } from '../../../vehicle-producer/drive/drive-manifest.ts';
import { vehicleDbcPath } from '../../../vehicle-producer/sim/fleet-model.ts';
import type { VehicleModel } from '../../../vehicle-producer/sim/scenario.ts';

const drive = JSON.parse(readFileSync('drives/clean/drive.json', 'utf8')) as DriveManifestEntry;
const extras = loadDbcFile('vehicle-producer/dbc/fleet-extras.dbc');

for (const v of drive.vehicles) {
  test(`${v.vehicleId} (${v.model}): cycle times, ranges and smooth speed`, () => {
    const db = loadDbcFile(vehicleDbcPath(v.model as VehicleModel));
    const frames = parseCandumpText(gunzipSync(readFileSync(`drives/clean/${v.canFile}`)).toString(), v.canFile, new IssueLog());
    const ids = [...new Set(frames.filter((f) => !f.error && f.id < 0x700).map((f) => f.id))];
    assert.ok(ids.includes(0x2a3) && ids.length >= 4);
    let speedChecked = false;
    for (const id of ids) {
      const msg = (id === 0x2a3 ? extras : db).messages.find((m) => m.frameId === id && !m.extended)!;
      assert.ok(msg, `id 0x${id.toString(16)} is not in the ${v.model} DBC`);
      const cycle = msg.cycleTimeMs ?? 100;
      const own = frames.filter((f) => f.id === id && !f.error);
      const gaps = own.slice(1).map((f, i) => (f.timestampUs - own[i]!.timestampUs) / 1000).sort((a, b) => a - b);
      const median = gaps[gaps.length >> 1]!;
      assert.ok(Math.abs(median - cycle) < cycle * 0.03, `${msg.name}: median gap ${median} ms, DBC cycle ${cycle} ms`);
      assert.ok(gaps[gaps.length - 1]! - gaps[0]! > 0.005 * cycle, `${msg.name}: no jitter`);
      assert.ok(Math.abs(own.length - 120_000 / cycle) <= 2, `${msg.name}: ${own.length} frames in 120 s`);
      for (const f of own) {
        const d = decodeMessage(msg, f.data);
        for (const s of msg.signals) {
          const x = d.values[s.name];
          if (x === undefined || !(s.min < s.max)) continue;
          assert.ok(x >= s.min - Math.abs(s.scale) && x <= s.max + Math.abs(s.scale), `${msg.name}.${s.name} = ${x} outside [${s.min}, ${s.max}]`);
        }
      }
      const speedSig = msg.signals.find((s) => /speed|spd/i.test(s.name) && !/rpm|motor|engine/i.test(s.name) && /mph|km|kph|m\/s/i.test(s.unit) && s.max - s.min >= 100);
      if (speedSig) {
        const series = own.map((f) => decodeMessage(msg, f.data).values[speedSig.name]!);
        const kph = /mph/i.test(speedSig.unit) ? 1.609344 : /m\/s/.test(speedSig.unit) ? 3.6 : 1;
        const maxStep = Math.max(...series.slice(1).map((x, i) => Math.abs(x - series[i]!) * kph));
        // 3.5 m/s² over one cycle is 1.26 km/h per 100 ms; allow scale rounding and noise
        assert.ok(maxStep < (cycle / 100) * 2 + Math.abs(speedSig.scale) * kph * 2, `${msg.name}.${speedSig.name} jumps ${maxStep} km/h`);
        assert.ok((Math.max(...series) - Math.min(...series)) * kph > 20, `${speedSig.name} never ramps`);
        speedChecked = true;
      }
    }
    assert.ok(speedChecked, 'no speed signal among the simulated messages');
  });
}
