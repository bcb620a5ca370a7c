import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-demo-policies-'));
const bundled = readFileSync(path.join(PROJECT_ROOT, 'config', 'suppression-policies.yaml'), 'utf8');

test('demo --policies <bad file>: one line with file:line:column (field) before anything is started', () => {
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, bundled.replace('maxTrafficPercent: 5', 'maxTrafficPercent: five'));
  const line = bundled.split('\n').findIndex((l) => l.includes('maxTrafficPercent: 5')) + 1;
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), 'demo', '--policies', bad, '--exit-after-replay'], { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 120_000 });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`^fmeaflow: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${line}:\\d+ \\(policies\\[1\\]\\.whileRelease\\.maxTrafficPercent\\): .*\\[POLICY_INVALID\\]\\n$`));
  assert.doesNotMatch(r.stderr, /demo: /, 'no stack, engine or replay was started');
});
