/**
 * Dependencies point one way: the runtime does not know the topology or the vehicle producer, the
 * production connection code does not know the local-stack installer, processors know no I/O, and
 * topology.ts wires processors with configuration loaded by the one loader (streams/config/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../streams/config/project-root.ts';
import { loadEngineConfig } from '../../../streams/config/engine-config.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(PROJECT_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(PROJECT_ROOT, path.join(e.parentPath, e.name)));
}

/** Resolved targets of a file's relative imports, relative to the project root. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  return [...text.matchAll(/^(?:import|export)\b[^;]*?from '(\.[^']+)'/gms)].map((m) => path.relative(PROJECT_ROOT, path.resolve(path.dirname(path.join(PROJECT_ROOT, file)), m[1]!)));
}

test('no import runs back up: runtime → topology or vehicle producer, connection → stack installer, processors → runtime or fs', () => {
  const offending: string[] = [];
  for (const f of filesUnder('streams/runtime')) {
    for (const i of importsOf(f)) {
      if (i === 'streams/topology.ts' || i.startsWith('vehicle-producer/') || i.startsWith('streams/commands/')) offending.push(`${f} → ${i}`);
      if (!f.startsWith('streams/runtime/stack/') && (i === 'streams/runtime/stack/stack.ts' || i === 'streams/runtime/stack/install.ts')) offending.push(`${f} → ${i}`);
    }
  }
  for (const f of filesUnder('streams/processors')) {
    for (const i of importsOf(f)) if (i.startsWith('streams/runtime/') || i.startsWith('streams/config/')) offending.push(`${f} → ${i}`);
    if (/from 'node:fs'/.test(readFileSync(path.join(PROJECT_ROOT, f), 'utf8'))) offending.push(`${f} → node:fs`);
  }
  assert.deepEqual(offending, []);
});

test('topology.ts reads no file itself: its configuration comes from the one loader', () => {
  const text = readFileSync(path.join(PROJECT_ROOT, 'streams/topology.ts'), 'utf8');
  assert.doesNotMatch(text, /from 'node:fs'|loadPolicyFile|loadOccurrenceTable|loadKnownSeries|loadCanNetwork/);
  assert.match(text, /from '\.\/config\/engine-config\.ts'/);
});

test('the engine configuration loads from the bundled files, and a rules folder without an occurrence table is a clear error', () => {
  const c = loadEngineConfig();
  assert.ok(c.occurrenceTable.length >= 10, 'the bundled occurrence table has its 10 rows');
  assert.ok([...c.canNetworks.values()].some((buses) => [...buses.values()].some((b) => b.cycleTimesMs.size > 0)), 'the bundled CAN networks name periodic messages');
  assert.ok(c.policies && Array.isArray(c.knownSeries));
  const empty = path.join(PROJECT_ROOT, 'test', 'unit', 'foundation');
  assert.throws(() => loadEngineConfig({ rulesDir: empty }), (e: Error & { code?: string }) => /occurrence-table\.yaml/.test(e.message) && typeof e.code === 'string');
});
