/**
 * `produce --bitrate can0=500000`: a candump file cannot say its bitrate, so the user does;
 * it is stamped on the CAN records of that bus (CanFrameBatch.bitrateBps, which bus load uses).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBitrates } from '../../../streams/commands/produce.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { replaySources } from '../../../vehicle-producer/publish/replay.ts';
import type { CanFrameBatchRecord } from '../../../vehicle-producer/schemas.ts';

const CLI = join(import.meta.dirname, '../../../streams/cli.ts');

test('--bitrate per bus is stamped on that bus\'s records; other buses keep the bare default or none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-bitrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'two-buses.log');
  writeFileSync(file, ['(1736150400.000000) can0 100#0102', '(1736150400.010000) can1 200#03', '(1736150400.020000) vcan9 300#'].join('\n') + '\n');
  const seen = async (bitrates: string[]) => {
    const byBus = new Map<string, number | null>();
    await replaySources([{ type: 'candump', file, vehicleId: 'V1' }], { dryRun: true, ...parseBitrates(bitrates), onRecord: (topic, _k, v) => { if (topic.includes('can')) byBus.set((v as CanFrameBatchRecord).bus, (v as CanFrameBatchRecord).bitrateBps); } });
    return Object.fromEntries([...byBus].sort());
  };
  assert.deepEqual(await seen(['can0=500000', 'can1=125000']), { can0: 500_000, can1: 125_000, vcan9: null });
  assert.deepEqual(await seen(['250000', 'can1=125000']), { can0: 250_000, can1: 125_000, vcan9: 250_000 });
  assert.deepEqual(await seen([]), { can0: null, can1: null, vcan9: null });
});

test('a bad --bitrate is one CLI_BAD_ARGUMENT line with an example', (t) => {
  for (const v of ['can0=fast', 'can0=500', '=500000', 'can0=99999999999', 'a b=500000']) {
    assert.throws(() => parseBitrates([v]), (e: unknown) => e instanceof FmeaflowError && e.code === ErrorCodes.BAD_CLI_ARGUMENT && /e\.g\. --bitrate can0=500000/.test(e.message), v);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-bitrate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'x.log');
  writeFileSync(file, '(1736150400.000000) can0 100#01\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'produce', file, '--dry-run', '--bitrate', 'can0=fast'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--bitrate "can0=fast": .*e\.g\. --bitrate can0=500000.*\[CLI_BAD_ARGUMENT\]/);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});
