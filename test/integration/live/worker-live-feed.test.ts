/**
 * `fmeaflow worker --live-port`: the live view's feed runs under its own consumer group, which a
 * SIGTERM must delete along with stopping the worker, or every worker start leaves a group behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { testAdmin, uniqueName, waitFor } from '../../helpers/kafka.ts';

test('SIGTERM to a worker with --live-port deletes the live feed\'s consumer group', { timeout: 120_000 }, async (t) => {
  const admin = await testAdmin(t);
  const app = uniqueName('live-worker');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), 'worker', '--app', app, '--only', 'release-check', '--no-log-embeddings', '--live-port', '0'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, FMEAFLOW_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitFor(() => /live view on http/.test(stderr) || child.exitCode !== null, { timeoutMs: 90_000, what: 'the worker to serve the live view' });
  assert.match(stderr, /live view on http/, `worker output: ${stderr}`);

  // The feed's group carries the app id (so the app's group ACL covers it); its member is the worker's live client (`<app>-live`).
  const feedGroups = async (): Promise<string[]> => {
    const ids = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${app}-feed-`));
    if (ids.length === 0) return [];
    const { groups } = await admin.describeGroups(ids);
    return groups.filter((g) => g.members.some((m) => m.clientId === `${app}-live`)).map((g) => g.groupId);
  };
  const [group] = await waitFor(async () => ((await feedGroups()).length > 0 ? feedGroups() : undefined), { timeoutMs: 30_000, what: 'the live feed group' });
  assert.ok(group);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, `clean exit; output: ${stderr}`);
  const left = (await admin.listGroups()).groups.map((g) => g.groupId);
  assert.ok(!left.includes(group), `${group} is gone after the worker stopped`);
});
