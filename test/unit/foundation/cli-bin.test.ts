import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';

test('package.json\'s bin runs the CLI: `npx fmeaflow --help` in the clone, and a bad command exits non-zero', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const bin = path.join(PROJECT_ROOT, pkg.bin.fmeaflow!);
  assert.ok(fs.existsSync(bin), `${pkg.bin.fmeaflow} exists`);
  const help = spawnSync('npx', ['--no-install', 'fmeaflow', '--help'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: fmeaflow /m);
  assert.match(help.stdout, /\bworker\b/);
  const bad = spawnSync(process.execPath, [bin, 'no-such-command'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unknown command/);
});
