/** Noise floors come from fmea-rules/known-series.yaml: names, or { name, minStd }; mistakes name file, line and field. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadKnownSeries, loadKnownSeriesEntries, noiseFloorsOf } from '../../../streams/fmea/rule-files.ts';
import { SourceLocationError } from '../../../streams/errors.ts';
import { buildTopology } from '../../../streams/topology.ts';

function file(t: import('node:test').TestContext, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-series-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'known-series.yaml');
  fs.writeFileSync(f, text);
  return f;
}

test('names and { name, minStd } entries mix; only entries with minStd have a floor', (t) => {
  const f = file(t, 'series:\n  - can_bus_load\n  - name: bms_pack_temperature_c\n    minStd: 0.5\n  - name: ecu_cpu_load\n');
  assert.deepEqual([...loadKnownSeries(f)!].sort(), ['bms_pack_temperature_c', 'can_bus_load', 'ecu_cpu_load']);
  assert.deepEqual([...noiseFloorsOf(loadKnownSeriesEntries(f)!)], [['bms_pack_temperature_c', 0.5]]);
});

test('a floor that is not a positive number, or an unknown field, names file, line and field', (t) => {
  const bad = file(t, 'series:\n  - can_bus_load\n  - name: bms_pack_temperature_c\n    minStd: -1\n');
  assert.throws(() => loadKnownSeriesEntries(bad), (e: unknown) => e instanceof SourceLocationError && e.line === 4 && e.field === 'series[1].minStd' && /number > 0/.test(e.message));
  const typo = file(t, 'series:\n  - name: bms_pack_temperature_c\n    minstd: 0.5\n');
  assert.throws(() => loadKnownSeries(typo), (e: unknown) => e instanceof SourceLocationError && e.line === 3 && e.field === 'series[0].minstd' && /unknown field "minstd"/.test(e.message));
});

test('the bundled known-series file loads, and the topology builds with its floors', () => {
  assert.ok(loadKnownSeries('fmea-rules/known-series.yaml')!.has('span.latency.p95'), 'the engine-derived span series are known');
  for (const [, v] of noiseFloorsOf(loadKnownSeriesEntries('fmea-rules/known-series.yaml')!)) assert.ok(v > 0);
  assert.ok(buildTopology({ app: 't' }).length > 0);
});
