/**
 * The simulator is a pure function of the scenario and its seed: the same seed gives the
 * same bytes, another seed different ones, and the committed drives are exactly what the
 * scenario files generate today.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { loadScenario } from '../../../vehicle-producer/sim/scenario.ts';
import { simulate } from '../../../vehicle-producer/sim/fleet-simulator.ts';
import { writeDrive } from '../../../vehicle-producer/drive/drive-writer.ts';

function filesOf(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesOf(join(dir, f), `${prefix}${f}/`) : [`${prefix}${f}`])).sort();
}

const tmp = mkdtempSync(join(tmpdir(), 'fmeaflow-sim-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('same seed → identical bytes; different seed → different CAN, metrics, spans and logs', () => {
  const sc = loadScenario('vehicle-producer/scenarios/can-timeout.yaml');
  const a = writeDrive(simulate(sc), join(tmp, 'a', 'can-timeout'), { manifestPath: null });
  writeDrive(simulate(loadScenario('vehicle-producer/scenarios/can-timeout.yaml')), join(tmp, 'b', 'can-timeout'), { manifestPath: null });
  const other = { ...loadScenario('vehicle-producer/scenarios/can-timeout.yaml'), seed: 43 };
  writeDrive(simulate(other), join(tmp, 'c', 'can-timeout'), { manifestPath: null });
  const files = filesOf(join(tmp, 'a', 'can-timeout'));
  assert.ok(files.length >= 9, `drive files: ${files.join(', ')}`);
  assert.deepEqual(filesOf(join(tmp, 'b', 'can-timeout')), files);
  for (const f of files) assert.ok(readFileSync(join(tmp, 'a', 'can-timeout', f)).equals(readFileSync(join(tmp, 'b', 'can-timeout', f))), `${f} differs between two runs with the same seed`);
  for (const f of [...a.vehicles.map((v) => v.canFile), 'metrics.jsonl', 'spans.jsonl', 'logs.jsonl']) {
    assert.ok(!readFileSync(join(tmp, 'a', 'can-timeout', f)).equals(readFileSync(join(tmp, 'c', 'can-timeout', f))), `${f} identical for seeds 42 and 43`);
  }
});

test('committed drives are exactly what their scenario files generate', () => {
  const manifest = JSON.parse(readFileSync('drives/manifest.json', 'utf8')) as { drives: { name: string; scenario: string }[] };
  assert.equal(manifest.drives.length, 6);
  for (const d of manifest.drives) {
    const out = join(tmp, 'regen', d.name);
    writeDrive(simulate(loadScenario(d.scenario)), out, { gzip: true, manifestPath: null });
    for (const f of filesOf(out)) {
      const mine = readFileSync(join(out, f));
      const committed = readFileSync(join('drives', d.name, f));
      const same = f.endsWith('.gz') ? gunzipSync(mine).equals(gunzipSync(committed)) : mine.equals(committed);
      assert.ok(same, `drives/${d.name}/${f} is stale: run npx tsx vehicle-producer/regenerate-drives.ts`);
    }
  }
});

test('drives folder stays under 5 MB', () => {
  const total = filesOf('drives').reduce((a, f) => a + statSync(join('drives', f)).size, 0);
  assert.ok(total < 5 * 1024 * 1024, `drives/ is ${total} bytes`);
});
