/**
 * The product and its tests need nothing beside the repository: no source outside bench/
 * names the reference-data folder, and `simulate` runs in a copy of the repository's tracked
 * files with nothing beside it (the simulator's DBCs are its own).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '../../..');

function trackedFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ls-files: ${r.stderr}`);
  return r.stdout.split('\0').filter((f) => f && existsSync(join(ROOT, f)));
}

test('no file outside bench/ reads the reference data beside the project', () => {
  const offenders = trackedFiles()
    .filter((f) => /\.(ts|js|mjs|json|ya?ml|sh|py)$/.test(f) && !f.startsWith('bench/') && f !== 'test/fixtures/dbc/generate-vectors.py')
    .filter((f) => /\.\.[/\\]+shared\b|['"`]shared['"`]\s*,\s*['"`]data/.test(readFileSync(join(ROOT, f), 'utf8')));
  assert.deepEqual(offenders, []);
});

test('simulate writes a drive in a copy of the repository with nothing beside it', (t) => {
  const box = mkdtempSync(join(tmpdir(), 'fmeaflow-alone-'));
  t.after(() => rmSync(box, { recursive: true, force: true }));
  const repo = join(box, 'repo');
  for (const f of trackedFiles().filter((x) => !x.startsWith('drives/') && !x.startsWith('bench/'))) {
    mkdirSync(dirname(join(repo, f)), { recursive: true });
    cpSync(join(ROOT, f), join(repo, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  assert.ok(!existsSync(join(box, 'shared')));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'streams/cli.ts', 'simulate', '--scenario', 'vehicle-producer/scenarios/can-timeout.yaml', '--out', join(box, 'out'), '--manifest', 'none'], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote .*: 4 vehicles, 120 s, \d+ frames/);
  const drive = JSON.parse(readFileSync(join(box, 'out', 'drive.json'), 'utf8')) as { vehicles: { model: string; frames: number }[] };
  assert.deepEqual([...new Set(drive.vehicles.map((v) => v.model))].sort(), ['ev_sedan', 'hybrid_hatchback', 'pickup_truck']);
  assert.ok(drive.vehicles.every((v) => v.frames > 1000));
});

test('simulate with a bad scenario or output path stops with one line naming it, no stack trace', (t) => {
  const box = mkdtempSync(join(tmpdir(), 'fmeaflow-simulate-paths-'));
  t.after(() => rmSync(box, { recursive: true, force: true }));
  const file = join(box, 'a-file');
  writeFileSync(file, 'x');
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'streams/cli.ts', 'simulate', ...args, '--manifest', 'none'], { cwd: ROOT, encoding: 'utf8' });
  const cases: [string[], RegExp][] = [
    [['--scenario', join(box, 'nope.yaml'), '--out', join(box, 'out')], /nope\.yaml.*cannot read scenario.*\[CONFIG_INVALID\]/],
    [['--scenario', 'vehicle-producer/scenarios/clean.yaml', '--out', join(file, 'drive')], /--out '.*a-file\/drive': '.*a-file' is a file, not a folder.*\[CLI_BAD_ARGUMENT\]/],
    [['--scenario', 'vehicle-producer/scenarios/clean.yaml', '--out', file], /--out '.*a-file': is a file, not a folder.*\[CLI_BAD_ARGUMENT\]/],
  ];
  for (const [args, want] of cases) {
    const r = run(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, want);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  assert.equal(readFileSync(file, 'utf8'), 'x', 'the file given as --out is left alone');
});
