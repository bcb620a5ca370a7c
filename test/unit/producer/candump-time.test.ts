/**
 * candump time handling from the command line to the frames: zero-based (-tz) and delta
 * (-td) stamps from a base time, -tA local dates in a given zone, absolute stamps as they
 * are, and bad values rejected with what is wrong and what a good value looks like.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { candumpTimeOptions } from '../../../vehicle-producer/sources/candump-time-flags.ts';
import { replaySources } from '../../../vehicle-producer/publish/replay.ts';
import type { CandumpTimeOptions } from '../../../vehicle-producer/sources/candump-parser.ts';
import type { CanFrameBatchRecord } from '../../../vehicle-producer/schemas.ts';

const BASE = '2025-01-06T08:00:00Z';
const BASE_US = Date.parse(BASE) * 1000;

function tmpFile(t: { after(fn: () => void): void }, name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-candump-time-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** Frame timestamps as the replay publishes them. */
async function publishedTimes(file: string, time: CandumpTimeOptions): Promise<number[]> {
  const out: number[] = [];
  await replaySources([{ type: 'candump', file, vehicleId: 'V' }], { dryRun: true, candumpTime: time, onRecord: (_t, _k, v) => { for (const f of (v as CanFrameBatchRecord).frames ?? []) out.push(f.timestampUs); } });
  return out.sort((a, b) => a - b);
}

const RELATIVE = '(0.000000) can0 123#01\n(0.010000) can0 123#02\n(0.015000) can0 123#03\n';

test('flag values: each style, base time as ISO or epoch seconds, zone offsets', () => {
  assert.deepEqual(candumpTimeOptions({}), {});
  assert.deepEqual(candumpTimeOptions({ timestamps: 'absolute' }), {});
  assert.deepEqual(candumpTimeOptions({ timestamps: 'zero', baseTime: BASE }), { relativeMode: 'zero', baseTimeUs: BASE_US });
  assert.deepEqual(candumpTimeOptions({ timestamps: '-td', baseTime: '1736150400.25' }), { relativeMode: 'delta', baseTimeUs: 1_736_150_400_250_000 });
  assert.deepEqual(candumpTimeOptions({ baseTime: '2025-01-06T09:00:00.5+01:00' }), { baseTimeUs: BASE_US + 500_000 });
  assert.deepEqual(candumpTimeOptions({ tzOffset: '+01:00' }), { dateTzOffsetMinutes: 60 });
  assert.deepEqual(candumpTimeOptions({ tzOffset: '-0530' }), { dateTzOffsetMinutes: -330 });
  assert.deepEqual(candumpTimeOptions({ tzOffset: 'Z' }), { dateTzOffsetMinutes: 0 });
});

test('bad values say what is wrong and how to write it', () => {
  const rejects = (flags: Parameters<typeof candumpTimeOptions>[0], re: RegExp): void =>
    assert.throws(() => candumpTimeOptions(flags), (e: unknown) => e instanceof FmeaflowError && e.code === ErrorCodes.BAD_CLI_ARGUMENT && re.test(e.message));
  rejects({ timestamps: 'sometimes' }, /'sometimes' is not a timestamp style: use absolute .*zero .*delta/);
  rejects({ baseTime: 'yesterday' }, /not a time: give ISO 8601 with a zone \(e\.g\. 2025-01-06T08:00:00Z\) or epoch seconds/);
  rejects({ baseTime: '2025-01-06T08:00:00' }, /has no time zone: add Z/);
  rejects({ baseTime: '2025-13-06T08:00:00Z' }, /not a valid date/);
  rejects({ tzOffset: 'CET' }, /not a UTC offset: .*\+HH:MM/);
  rejects({ tzOffset: '+15:00' }, /beyond ±14:00/);
  rejects({ timestamps: 'absolute', baseTime: BASE }, /applies to relative timestamps/);
});

test('zero-based (-tz) stamps start at the base time', async (t) => {
  const f = tmpFile(t, 'tz.log', RELATIVE);
  assert.deepEqual(await publishedTimes(f, candumpTimeOptions({ timestamps: 'zero', baseTime: BASE })), [BASE_US, BASE_US + 10_000, BASE_US + 15_000]);
});

test('delta (-td) stamps accumulate from the base time', async (t) => {
  const f = tmpFile(t, 'td.log', RELATIVE);
  assert.deepEqual(await publishedTimes(f, candumpTimeOptions({ timestamps: 'delta', baseTime: BASE })), [BASE_US, BASE_US + 10_000, BASE_US + 25_000]);
});

test('-tA local dates are shifted by the zone offset; absolute epoch stamps are taken as they are', async (t) => {
  const dated = tmpFile(t, 'ta.log', '(2025-01-06 09:00:00.000100) can0 123#01\n');
  assert.deepEqual(await publishedTimes(dated, candumpTimeOptions({ tzOffset: '+01:00' })), [BASE_US + 100]);
  const epoch = tmpFile(t, 'epoch.log', '(1736150400.000200) can0 123#01\n');
  assert.deepEqual(await publishedTimes(epoch, candumpTimeOptions({ timestamps: 'absolute', tzOffset: '+01:00' })), [BASE_US + 200]);
});

test('produce CLI: the flags reach the frames (printed event time) and a bad value exits 2 with the fix, no stack trace', (t) => {
  const f = tmpFile(t, 'td.log', RELATIVE);
  const cli = join(import.meta.dirname, '../../../streams/cli.ts');
  const ok = spawnSync('npx', ['tsx', cli, 'produce', f, '--dry-run', '--speed', 'max', '--candump-timestamps', 'delta', '--candump-base-time', BASE], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /event time 2025-01-06T08:00:00\.000Z → 2025-01-06T08:00:00\.025Z/);
  const bad = spawnSync('npx', ['tsx', cli, 'produce', f, '--dry-run', '--candump-tz-offset', 'CET'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--candump-tz-offset 'CET' is not a UTC offset.*\[CLI_BAD_ARGUMENT\]/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
});
