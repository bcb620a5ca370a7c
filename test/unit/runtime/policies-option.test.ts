import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SourceLocationError } from '../../../streams/errors.ts';
import { loadPolicyFile } from '../../../streams/config/policy-file-loader.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { buildTopology } from '../../../streams/topology.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-policies-'));
const bundled = readFileSync(path.join(PROJECT_ROOT, 'config', 'suppression-policies.yaml'), 'utf8');

function worker(...args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), 'worker', ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 120_000 });
  return { code: r.status, err: r.stderr };
}

test('worker --policies with a missing file: one line naming the file, what is wrong and how to fix it; no stack trace', () => {
  const missing = path.join(dir, 'nope.yaml');
  const r = worker('--policies', missing);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`^fmeaflow: policy file ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no such file; pass a YAML policy file with --policies <file> .*\\[CONFIG_INVALID\\]\\n$`));
  assert.doesNotMatch(r.err, /ENOENT|\n\s+at /);
});

test('worker --policies with a malformed file: file:line:column (field) of the problem and the lint hint', () => {
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, bundled.replace('suppressFor: 5m', 'suppressFor: 5 minutes'));
  const line = bundled.split('\n').findIndex((l) => l.includes('suppressFor: 5m')) + 1;
  const r = worker('--policies', bad);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`^fmeaflow: ${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${line}:\\d+ \\(policies\\[0\\]\\.suppressFor\\): .*fix the file \\(\`fmeaflow policies lint .*\\[POLICY_INVALID\\]\\n$`));
  assert.doesNotMatch(r.err, /\n\s+at /);
});

test('the topology reads the policy file it is given', () => {
  const custom = path.join(dir, 'custom.yaml');
  writeFileSync(custom, 'version: 1\nservices: [bms]\npolicies: []\n');
  assert.deepEqual(loadPolicyFile(custom).services, ['bms']);
  assert.ok(buildTopology({ app: 'x', policiesFile: custom }).some((p) => p.name === 'alerts'));
  assert.throws(() => buildTopology({ app: 'x', policiesFile: dir }), /policy file .*: is a directory, not a file; pass a YAML policy file with --policies <file>/);
  assert.throws(() => loadPolicyFile(path.join(dir, 'nope.yaml')), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID');
  writeFileSync(custom, 'version: 1\nservices: [bms, bms]\npolicies: []\n');
  assert.throws(() => loadPolicyFile(custom), (e: unknown) => e instanceof SourceLocationError && e.line === 2 && e.field === 'services' && /duplicate/.test(e.message));
});
