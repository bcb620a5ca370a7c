/**
 * --spool-max-bytes: with the broker down, a replay larger than the bound keeps the spool
 * on disk within it by dropping the OLDEST records, counts every drop and says so in the
 * summary; bad sizes are rejected with the fix. Uses the real registry (schema ids) and a
 * closed port as the broker.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskSpool } from '../../../vehicle-producer/spool/disk-spool.ts';
import { closedPort } from './helpers.ts';

const CLI = join(import.meta.dirname, '../../../streams/cli.ts');

test('a full spool drops its oldest records, counts them, and stays within --spool-max-bytes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-spool-bound-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const spoolDir = join(dir, 'spool');
  const r = spawnSync('npx', ['tsx', CLI, 'produce', 'drives/clean', '--speed', 'max', '--brokers', `127.0.0.1:${await closedPort()}`, '--spool-dir', spoolDir, '--spool-max-bytes', '256KiB', '--drain-timeout-ms', '0'], { encoding: 'utf8' });
  // Exit 3: the run lost records (the oldest spooled ones), and says so in its exit code.
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /records dropped from the full spool \(exit code 3\)/);
  const m = /sent (\d+), spooled (\d+), still spooled (\d+), spool drops (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [sent, spooled, pending, dropped] = m.slice(1).map(Number) as [number, number, number, number];
  assert.equal(sent, 0, 'the broker is down');
  assert.ok(dropped > 0, 'a 3 MB drive does not fit in 256 KiB');
  assert.equal(pending + dropped, spooled, 'every spooled record is either still on disk or counted as dropped');
  assert.match(r.stdout, /its \d+ oldest records were dropped \(raise --spool-max-bytes/);
  const bytes = readdirSync(spoolDir).reduce((a, f) => a + statSync(join(spoolDir, f)).size, 0);
  assert.ok(bytes <= 256 * 1024 + 64, `spool holds ${bytes} bytes`);
  const left = new DiskSpool({ dir: spoolDir, maxBytes: 256 * 1024 });
  assert.equal(left.size, pending, 'what the summary says is still spooled is on disk for the next run');
  left.close();
});

test('--spool-max-bytes: bad sizes and a missing --spool-dir are CLI errors with the fix', () => {
  const run = (...args: string[]) => spawnSync('npx', ['tsx', CLI, 'produce', 'drives/clean', '--dry-run', ...args], { encoding: 'utf8' });
  const bad = run('--spool-dir', '/tmp/x', '--spool-max-bytes', '10 parsecs');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--spool-max-bytes '10 parsecs' is not a size: give bytes or a number with KiB, MiB or GiB \(e\.g\. 64MiB\) \[CLI_BAD_ARGUMENT\]/);
  const small = run('--spool-dir', '/tmp/x', '--spool-max-bytes', '1KiB');
  assert.equal(small.status, 2);
  assert.match(small.stderr, /below the minimum of 64 KiB/);
  const noDir = run('--spool-max-bytes', '64MiB');
  assert.equal(noDir.status, 2);
  assert.match(noDir.stderr, /--spool-max-bytes needs --spool-dir/);
});
