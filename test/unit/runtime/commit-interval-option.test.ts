/**
 * worker --commit-interval-ms and --partitions-in-flight: garbage is one CLI_BAD_ARGUMENT line saying what to give, before anything
 * connects (no broker is needed to see it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';

function worker(...args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), 'worker', ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 120_000 });
  return { code: r.status, err: r.stderr };
}

test('worker --commit-interval-ms with a negative, fractional or non-numeric value: one line, no stack trace', () => {
  for (const bad of ['-5', '1.5', 'soon', '1e3', '']) {
    const r = worker('--commit-interval-ms', bad);
    assert.equal(r.code, 2, bad);
    assert.match(r.err, /^fmeaflow: --commit-interval-ms .*: give a whole number of milliseconds ≥ 0 \(e\.g\. --commit-interval-ms 100\) \[CLI_BAD_ARGUMENT\]\n$/, bad);
  }
});

test('worker --partitions-in-flight with 0, a fraction or words: one line, no stack trace', () => {
  for (const bad of ['0', '2.5', 'many', '100000']) {
    const r = worker('--partitions-in-flight', bad);
    assert.equal(r.code, 2, bad);
    assert.match(r.err, /^fmeaflow: --partitions-in-flight .*: give a whole number from 1 to 1024 \(e\.g\. --partitions-in-flight 4\) \[CLI_BAD_ARGUMENT\]\n$/, bad);
  }
});
