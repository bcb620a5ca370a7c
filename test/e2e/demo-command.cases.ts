import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';
import { faultDriveExpectations } from './expectations.ts';
import { testAdmin } from '../helpers/kafka.ts';

const isDemoInternal = (topic: string): boolean => topic.startsWith('fmeaflow-demo-') && /-(changelog|repartition)$/.test(topic);

// The README's first command, run the way CI can: non-interactive, stopping after the replay.
test('fmeaflow demo --exit-after-replay prints the ranked actions of every fault drive', { timeout: 300_000 }, async (t) => {
  const admin = await testAdmin(t);
  const before = new Set((await admin.listTopics()).filter(isDemoInternal));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), 'demo', '--exit-after-replay', '--speed', 'max', '--settle-seconds', '6'], { cwd: PROJECT_ROOT, env: process.env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, `demo exited ${code}: ${err.slice(-2000)}`);
  assert.match(err, /replay done: \d+ records/);
  for (const e of faultDriveExpectations()) assert.ok(out.includes(e.entryId), `the board shows ${e.entryId} (${e.drive})`);
  const m = out.match(/(\d+) ranked actions from 6 drive\(s\)/);
  assert.ok(m && Number(m[1]) >= faultDriveExpectations().length, `summary line present: ${out.slice(-300)}`);
  // The table is ranked: an H row never appears below an M or L row.
  const aps = [...out.matchAll(/^│ \d+\s+│ ([HML])\s+│/gm)].map((x) => x[1]!);
  assert.deepEqual(aps, [...aps].sort((a, b) => 'HML'.indexOf(a) - 'HML'.indexOf(b)));
  // Each run has a fresh app id; its changelogs and repartition topics must not pile up on the broker.
  assert.match(err, /removed the demo's state: [1-9]\d* internal topics/);
  assert.deepEqual((await admin.listTopics()).filter((x) => isDemoInternal(x) && !before.has(x)), []);
});
