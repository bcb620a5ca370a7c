/**
 * `fmeaflow replay` as a user runs it: a capture of their own through the whole engine without a broker,
 * every window of the capture closed at its end, and hostile arguments refused with one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildProgram } from '../../../streams/cli.ts';
import { ErrorCodes, type FmeaflowError } from '../../../streams/errors.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'replay-command-'));
// No broker anywhere: reaching for one would fail instead of passing silently.
const env = { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' };
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), 'replay', ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 120_000, env });

/** A candump -L capture: the 0x2A3 heartbeat every 100 ms and 0x120 every 20 ms, for `seconds` from an epoch on a 10 s boundary. */
function capture(name: string, seconds: number, extraLines: string[] = []): string {
  const lines: string[] = [];
  for (let ms = 0; ms < seconds * 1000; ms += 20) {
    const t = (1_700_000_000 + ms / 1000).toFixed(6);
    lines.push(`(${t}) can0 120#0102030405060708`);
    if (ms % 100 === 0) lines.push(`(${t}) can0 2A3#0011223344556677`);
  }
  const file = path.join(dir, name);
  writeFileSync(file, [...lines.slice(0, 10), ...extraLines, ...lines.slice(10)].join('\n') + '\n');
  return file;
}

test('replay of a 25 s capture closes all three of its 10 s CAN windows and reports as JSON, without a broker', () => {
  const file = capture('van-1.log', 25, ['this is not a candump line']);
  const r = cli(file, '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { input: { frames: number; inputErrors: number }; outputs: Record<string, number>; actions: unknown[]; drift: unknown[]; logClusters: unknown[]; canClusters: unknown[]; late: number; dlq: Record<string, number> };
  assert.equal(out.input.frames, 25 * 50 + 25 * 10, 'every frame of the capture');
  assert.equal(out.input.inputErrors, 1, 'the bad line is counted, not fatal');
  // [0,10), [10,20), [20,30): the last one holds only 5 s but closes too. Without the end-of-input flush the
  // 30 s lateness of CAN features would hold all three back (25 s of input never passes it).
  assert.equal(out.outputs['fmeaflow.can-features.v1'], 3);
  assert.ok(Array.isArray(out.actions) && Array.isArray(out.drift) && Array.isArray(out.logClusters) && Array.isArray(out.canClusters));
  assert.equal(out.late, 0);
  assert.deepEqual(out.dlq, {});
});

test('replay reads --can-network as worker does: a broken network file is refused with its file:line, not ignored', () => {
  const network = path.join(dir, 'broken-network.yaml');
  writeFileSync(network, 'models:\n  van:\n    buses: 12\n');
  const r = cli(capture('van-5.log', 1), '--can-network', network, '--bitrate', 'can0=250000');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /broken-network\.yaml:\d+/);
});

test('replay prints the ranked-actions table, drift and clusters as text by default', () => {
  const r = cli(capture('van-2.log', 12), '--top', '3');
  assert.equal(r.status, 0, r.stderr);
  for (const heading of ['Ranked actions', 'Drift', 'Log clusters', 'CAN clusters']) assert.match(r.stdout, new RegExp(`^${heading}`, 'm'));
});

test('replay with hostile arguments: one line naming the problem [CLI_BAD_ARGUMENT], before reading any input', async () => {
  const file = capture('van-3.log', 1);
  const cases: [string[], RegExp][] = [
    [['/nonexistent/capture.log'], /input '\/nonexistent\/capture\.log' does not exist/],
    [[dir], /is not a drive \(no drive\.json\)/],
    [[file, '--top', '-1'], /--top '-1': give a whole number 1-10000/],
    [[file, '--top', '1e9'], /--top '1e9': give a whole number/],
    [[file, '--batch-ms', 'fast'], /--batch-ms 'fast'/],
    [[file, '--timing', 'weekly'], /--timing 'weekly': use drive \(default\) or fleet/],
    [[file, '--rules', path.join(dir, 'no-rules')], /--rules '.*no-rules' does not exist/],
    [['drives/clean', file], /either drive folders or capture files/],
    [[path.join(dir, 'x.jsonl')], /does not exist/],
    [[file, '--vehicle-id', 'a', capture('van-4.log', 1)], /--vehicle-id names the vehicle of one candump file/],
    [[file, '--bitrate', 'can0=fast'], /--bitrate "can0=fast": give bus=bit\/s between 10000 and 16000000/],
    [[file, '--bitrate', '99'], /--bitrate "99": give bus=bit\/s/],
    [[file, '--can-network', path.join(dir, 'no-network.yaml')], /--can-network '.*no-network\.yaml' does not exist/],
  ];
  const program = await buildProgram();
  for (const [args, message] of cases) {
    await assert.rejects(program.parseAsync(['node', 'fmeaflow', 'replay', ...args]), (e: FmeaflowError) => {
      assert.equal(e.code, ErrorCodes.BAD_CLI_ARGUMENT, `${args.join(' ')}: ${e.message}`);
      assert.match(e.message, message);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  }
  // As the shell sees it: exit 2, one line.
  const r = cli(file, '--timing', 'weekly');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^fmeaflow: --timing 'weekly'[^\n]* \[CLI_BAD_ARGUMENT\]\n$/);
});
