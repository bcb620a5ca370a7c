/**
 * The DBC decoder against Python cantools on the repository's own DBCs: every vector in
 * test/fixtures/dbc/*.vectors.json was decoded by cantools (generate-vectors.py there) from
 * the DBC its `file` names (the decoder cases and the simulator's vehicle networks); we must
 * produce the same signals, values and choice names and reject the same payloads. The
 * reference DBCs beside the project are checked by bench/dbc-conformance.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { checkDbcVectors, type DbcVectorFile } from '../../helpers/dbc-vectors.ts';

const FIX = 'test/fixtures/dbc';
const files = readdirSync(FIX).filter((f) => f.endsWith('.vectors.json'));

test('fixture set covers the decoder cases and every DBC the simulator uses', () => {
  const wanted = ['decoder-cases', 'fleet-extras', ...readdirSync('vehicle-producer/dbc/vehicles').filter((f) => f.endsWith('.dbc')).map((f) => f.replace('.dbc', ''))];
  for (const w of wanted) assert.ok(files.includes(`${w}.vectors.json`), `missing vectors for ${w}`);
});

for (const f of files) {
  test(`decodes like cantools: ${f}`, () => {
    const fx = JSON.parse(readFileSync(`${FIX}/${f}`, 'utf8')) as DbcVectorFile;
    assert.ok(existsSync(fx.file), `${fx.file} is in the repository`);
    const checked = checkDbcVectors(fx, fx.file);
    assert.ok(checked > 0 || fx.messages.length === 0);
  });
}
