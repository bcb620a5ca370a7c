/**
 * Producer input defects, one test each: the input that used to stop or mislead `produce`
 * is read with one located issue, the rest of the file still arrives, nothing untrusted is
 * echoed unbounded or unescaped, and the CLI's exit code says when input was lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { replaySources, type ReplayResult } from '../../../vehicle-producer/publish/replay.ts';
import type { ReplaySource } from '../../../vehicle-producer/drive/drive-reader.ts';
import type { CanFrameBatchRecord } from '../../../vehicle-producer/schemas.ts';
import { readJsonlFile } from '../../../vehicle-producer/sources/jsonl-source.ts';
import { IssueLog } from '../../../vehicle-producer/sources/source-errors.ts';
import { parseDbc } from '../../../vehicle-producer/dbc/dbc-parser.ts';
import { loadDbcFiles, SignalDecoder } from '../../../vehicle-producer/dbc/signal-decoder.ts';
import { CanBatcher } from '../../../vehicle-producer/publish/can-batcher.ts';
import { FmeaflowError, SourceLocationError } from '../../../streams/errors.ts';

const CLI = join(import.meta.dirname, '../../../streams/cli.ts');
const T0 = 1_736_150_400; // 2025-01-06T08:00:00Z, epoch s

function tmpDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-hostile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A candump -L line at T0 + `ms`. */
function frameLine(ms: number, data = '11', iface = 'can0'): string {
  const us = Math.round(ms * 1000);
  return `(${T0 + Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}) ${iface} 123#${data}`;
}

interface Run { r: ReplayResult; batches: CanFrameBatchRecord[] }

async function replayCandump(file: string, extra: Partial<Parameters<typeof replaySources>[1]> = {}): Promise<Run> {
  const batches: CanFrameBatchRecord[] = [];
  const sources: ReplaySource[] = [{ type: 'candump', file, vehicleId: 'VIN-HOSTILE' }];
  const r = await replaySources(sources, { dryRun: true, speed: 'max', onRecord: (topic, _k, v) => { if (topic.includes('can')) batches.push(v as CanFrameBatchRecord); }, ...extra });
  return { r, batches };
}

const HEAD = 'VERSION ""\n\nNS_ :\n\nBS_:\nBU_: ECU\n\n';

function dbcError(text: string): SourceLocationError {
  try {
    parseDbc(text, 'x.dbc');
  } catch (err) {
    assert.ok(err instanceof SourceLocationError, `not a located error: ${String(err)}`);
    assert.equal(err.code, 'DBC_INVALID');
    return err;
  }
  assert.fail('the DBC was accepted');
}

test('candump timestamp at 2^53 µs: that line is reported, the frames around it are sent', async (t) => {
  const f = join(tmpDir(t), 'big.log');
  writeFileSync(f, [frameLine(0, '01'), '(9007199254.740993) can0 123#02', frameLine(200, '03')].join('\n') + '\n');
  const { r, batches } = await replayCandump(f);
  assert.equal(r.frames, 2);
  assert.deepEqual(batches.flatMap((b) => b.frames.map((x) => x.data.toString('hex'))), ['01', '03']);
  assert.equal(r.inputErrors, 1);
  assert.match(r.issues[0]!, /big\.log:2: timestamp '9007199254\.740993' is outside 1970-01-01\.\.2200-01-01/);
});

test('truncated and non-gzip .gz: the readable lines are sent, the loss is one line with file:line', async (t) => {
  const dir = tmpDir(t);
  const lines = Array.from({ length: 2000 }, (_, i) => frameLine(i * 10, (i % 256).toString(16).padStart(2, '0')));
  const gz = gzipSync(lines.join('\n') + '\n');
  const cut = join(dir, 'cut.log.gz');
  writeFileSync(cut, gz.subarray(0, gz.length >> 1));
  const a = await replayCandump(cut);
  assert.ok(a.r.frames > 100 && a.r.frames < 2000, `${a.r.frames} frames before the cut`);
  assert.equal(a.r.inputErrors, 1);
  assert.match(a.r.issues[0]!, new RegExp(`cut\\.log\\.gz:${a.r.frames + 1}: gzip data ends early \\(truncated file\\)`));
  const notGz = join(dir, 'plain.log.gz');
  writeFileSync(notGz, lines.slice(0, 3).join('\n'));
  const b = await replayCandump(notGz);
  assert.equal(b.r.frames, 0);
  assert.match(b.r.issues[0]!, /plain\.log\.gz:1: is not valid gzip data/);
});

test('SG_MUL_VAL_ 247 S Sw 0-3000000000: DBC_INVALID at its line, no allocation of 3e9 ids', () => {
  const e = dbcError(`${HEAD}BO_ 247 M: 8 ECU\n SG_ Sw M : 0|8@1+ (1,0) [0|255] "" ECU\n SG_ S m0 : 8|8@1+ (1,0) [0|255] "" ECU\n\nSG_MUL_VAL_ 247 S Sw 0-3000000000;\n`);
  assert.equal(e.line, 12);
  assert.match(e.message, /more than 65536 switch values/);
  // A legal extended multiplexing range still parses.
  const db = parseDbc(`${HEAD}BO_ 247 M: 8 ECU\n SG_ Sw M : 0|8@1+ (1,0) [0|255] "" ECU\n SG_ S m0 : 8|8@1+ (1,0) [0|255] "" ECU\n\nSG_MUL_VAL_ 247 S Sw 0-3, 7-7;\n`);
  assert.deepEqual(db.messages[0]!.signals[1]!.multiplexerIds, [0, 1, 2, 3, 7]);
});

test('lone-CR line endings: every frame is read', async (t) => {
  const f = join(tmpDir(t), 'cr.log');
  writeFileSync(f, [frameLine(0, '01'), frameLine(100, '02'), frameLine(200, '03')].join('\r') + '\r');
  const { r } = await replayCandump(f);
  assert.equal(r.frames, 3);
  assert.equal(r.inputErrors, 0);
});

test('JSONL timestampMs 8640000000000001: that line is reported with its field, the valid one is sent', async (t) => {
  const f = join(tmpDir(t), 'x.metrics.jsonl');
  const rec = (ts: number): string => JSON.stringify({ vehicleId: 'v1', name: 'm', labels: {}, kind: 'GAUGE', timestampMs: ts, value: 1 });
  writeFileSync(f, `${rec(8_640_000_000_000_001)}\n${rec(T0 * 1000)}\n`);
  const issues = new IssueLog();
  const got = [];
  for await (const r of readJsonlFile(f, 'metrics', issues)) got.push(r);
  assert.equal(got.length, 1);
  assert.deepEqual(issues.format(), [`${f}:1 (timestampMs): event time 8640000000000001 ms is outside 1970-01-01..2200-01-01`]);
});

test('--dbc <folder>: DBC_INVALID naming the folder, not a raw EISDIR', (t) => {
  const dir = join(tmpDir(t), 'dbcs');
  mkdirSync(dir);
  assert.throws(() => loadDbcFiles([dir]), (err: unknown) => err instanceof FmeaflowError && err.code === 'DBC_INVALID' && err.message === `${dir}: is a folder, not a DBC file; give the .dbc files in it (several separated by commas)`);
});

test('JSONL with a byte-order mark: record 1 is read', async (t) => {
  const f = join(tmpDir(t), 'bom.metrics.jsonl');
  const rec = (v: number): string => JSON.stringify({ vehicleId: 'v1', name: 'm', labels: {}, kind: 'GAUGE', timestampMs: T0 * 1000 + v, value: v });
  writeFileSync(f, `\ufeff${rec(1)}\n${rec(2)}\n`);
  const issues = new IssueLog();
  const values = [];
  for await (const r of readJsonlFile(f, 'metrics', issues)) values.push(r.kind === 'metrics' ? r.value.value : null);
  assert.deepEqual(values, [1, 2]);
  assert.equal(issues.count, 0);
});

test('out-of-order frames: no two CAN batches of a bus cover the same time; the frame going back is reported', async (t) => {
  const f = join(tmpDir(t), 'ooo.log');
  writeFileSync(f, [frameLine(0, '01'), frameLine(250, '02'), frameLine(50, '03'), frameLine(320, '04'), frameLine(330, '05', 'can1'), frameLine(310, '06', 'can1')].join('\n') + '\n');
  const { r, batches } = await replayCandump(f);
  for (const bus of ['can0', 'can1']) {
    const mine = batches.filter((b) => b.bus === bus).sort((a, b) => a.batchStartUs - b.batchStartUs);
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i]!.batchStartUs >= mine[i - 1]!.batchEndUs, `${bus}: batches overlap at ${mine[i]!.batchStartUs}`);
  }
  // The engine adds each batch's window to coveredMs: the sum over one bus stays within the span read.
  const coveredMs = batches.filter((b) => b.bus === 'can0').reduce((s, b) => s + (b.batchEndUs - b.batchStartUs) / 1000, 0);
  assert.ok(coveredMs <= 400, `can0 batches cover ${coveredMs} ms of a 400 ms capture`);
  assert.deepEqual(batches.flatMap((b) => b.frames.map((x) => x.data.toString('hex'))).sort(), ['01', '02', '04', '05']);
  assert.equal(r.inputErrors, 2);
  assert.match(r.issues[0]!, /ooo\.log:3: timestamp \d+ µs is earlier than the previous frame on can0/);
  assert.match(r.issues[1]!, /ooo\.log:6: .* on can1/);
});

test('a live source out of time order: the batcher refuses a frame behind a batch already closed', () => {
  const b = new CanBatcher({ batchMs: 100 });
  const fr = (ms: number) => ({ timestampUs: T0 * 1e6 + ms * 1000, iface: 'can0', id: 1, extended: false, fd: false, brs: false, esi: false, rtr: false, error: false, dlc: 0, data: Buffer.alloc(0) });
  b.add('v', fr(0));
  assert.ok(b.add('v', fr(250)));
  assert.equal(b.accepts('v', fr(50)), false);
  assert.equal(b.accepts('v', fr(260)), true);
  assert.equal(b.accepts('w', fr(50)), true);
});

test('a forward timestamp jump of one hour does not stall a paced replay; the skipped gap is counted', { timeout: 120_000 }, async (t) => {
  const f = join(tmpDir(t), 'jump.log');
  writeFileSync(f, [frameLine(0, '01'), frameLine(3_600_000, '02'), frameLine(3_600_050, '03')].join('\n') + '\n');
  const { r } = await replayCandump(f, { speed: 1 });
  assert.equal(r.frames, 3);
  assert.equal(r.pacingGapsSkipped, 1);
  assert.equal(r.eventSpanMs, 3_600_050);
});

test('issue text: a huge token is cut and terminal escapes are escaped; a 10 MB line is one bounded issue', async (t) => {
  const f = join(tmpDir(t), 'esc.log');
  const token = `\x1b]0;pwned\x07\x1b[2J${'A'.repeat(500_000)}`;
  writeFileSync(f, [frameLine(0, '01'), `(${T0}.100000) can0 ${token}`, `(${T0}.150000) can0 ${'B'.repeat(10_000_000)}`, frameLine(200, '02')].join('\n') + '\n');
  const { r } = await replayCandump(f);
  assert.equal(r.frames, 2);
  assert.equal(r.inputErrors, 2);
  for (const issue of r.issues) {
    assert.ok(issue.length < 600, `issue of ${issue.length} characters`);
    assert.doesNotMatch(issue, /[\x00-\x1f\x7f-\x9f]/);
  }
  assert.match(r.issues[0]!, /esc\.log:2: CAN id '\\x1b\]0;pwned\\x07\\x1b\[2JAAA+… \(500014 chars\)' must have 3/);
  assert.match(r.issues[1]!, /esc\.log:3: line of 10000025 characters is longer than any candump line; skipped/);
});

test('DBC checks as strict as cantools: big-endian signal outside its message, ids out of range, duplicate ids', () => {
  const be = dbcError(`${HEAD}BO_ 100 M: 2 ECU\n SG_ Big : 15|24@0+ (1,0) [0|255] "" ECU\n`);
  assert.equal(be.line, 9);
  assert.match(be.message, /big-endian signal Big \(start bit 15, 24 bits\) does not fit in 2-byte message M/);
  // Motorola start bit 15 is the MSB of byte 1: 24 bits span bytes 1-3, so 4 bytes hold it.
  assert.equal(parseDbc(`${HEAD}BO_ 100 M: 4 ECU\n SG_ Big : 15|24@0+ (1,0) [0|255] "" ECU\n`).messages[0]!.signals.length, 1);
  assert.match(dbcError(`${HEAD}BO_ 2048 M: 8 ECU\n`).message, /message M id 2048 is out of range/);
  assert.match(dbcError(`${HEAD}BO_ 2684354560 M: 8 ECU\n`).message, /message M id 2684354560 is out of range/); // 0x80000000 | 0x20000000
  const dup = dbcError(`${HEAD}BO_ 100 A: 8 ECU\n SG_ X : 0|8@1+ (1,0) [0|255] "" ECU\n\nBO_ 100 B: 8 ECU\n`);
  assert.equal(dup.line, 11);
  assert.match(dup.message, /message B has id 100, already used by A at line 8/);
  // Names and units become metric labels: bounded.
  const long = dbcError(`${HEAD}BO_ 100 M: 8 ECU\n SG_ ${'S'.repeat(100_000)} : 0|8@1+ (1,0) [0|255] "" ECU\n`);
  assert.equal(long.line, 9);
  assert.ok(long.message.length < 300, `message of ${long.message.length} characters`);
  // Vector's pseudo message for independent signals (0xC0000000) is not a bus id: still accepted.
  assert.equal(parseDbc(`${HEAD}BO_ 3221225472 VECTOR__INDEPENDENT_SIG_MSG: 0 Vector__XXX\n`).messages.length, 1);
});

test('produce CLI: bad input is reported per file:line, the rest is sent, exit code 3 says input was lost; no stack', { timeout: 300_000 }, (t) => {
  const dir = tmpDir(t);
  const good = join(dir, 'good.log');
  writeFileSync(good, [frameLine(0), frameLine(100)].join('\r') + '\r');
  const huge = join(dir, 'huge.metrics.jsonl');
  writeFileSync(huge, `${JSON.stringify({ vehicleId: 'v1', name: 'm', labels: {}, kind: 'GAUGE', timestampMs: 8_640_000_000_000_001, value: 1 })}\n${JSON.stringify({ vehicleId: 'v1', name: 'm', labels: {}, kind: 'GAUGE', timestampMs: T0 * 1000, value: 2 })}\n`);
  const r = spawnSync('npx', ['tsx', CLI, 'produce', good, huge, '--dry-run', '--speed', 'max'], { encoding: 'utf8' });
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.match(r.stdout, /good\.log: 2 frames → 2 CAN batches/);
  assert.match(r.stdout, /huge\.metrics\.jsonl: 0 frames → 0 CAN batches; 1 metrics/);
  assert.match(r.stdout, /huge\.metrics\.jsonl:1 \(timestampMs\): event time 8640000000000001 ms is outside/);
  assert.match(r.stderr, /huge\.metrics\.jsonl: 1 input lines or file ends unread \(exit code 3\)/);
  assert.equal(r.status, 3, r.stderr);
  const clean = spawnSync('npx', ['tsx', CLI, 'produce', good, '--dry-run', '--speed', 'max'], { encoding: 'utf8' });
  assert.equal(clean.status, 0, clean.stderr);
});

test('DBC with lone-CR line ends or a byte-order mark: its messages are read; an id in two DBCs is reported, not silently shadowed', () => {
  const text = `${HEAD}BO_ 100 A: 8 ECU\n SG_ X : 0|8@1+ (1,0) [0|255] "" ECU\n\nBO_ 200 B: 8 ECU\n SG_ Y : 0|8@1+ (1,0) [0|255] "" ECU\n`;
  const cr = parseDbc(text.replaceAll('\n', '\r'), 'cr.dbc');
  assert.deepEqual(cr.messages.map((m) => [m.name, m.line, m.signals.map((s) => s.name)]), [['A', 8, ['X']], ['B', 11, ['Y']]]);
  assert.deepEqual(parseDbc(`\u00ef\u00bb\u00bf${text}`, 'bom.dbc').messages.map((m) => m.name), ['A', 'B']);
  const other = parseDbc(`${HEAD}BO_ 200 C: 8 ECU\n SG_ Z : 0|8@1+ (1,0) [0|255] "" ECU\n`, 'other.dbc');
  const dec = new SignalDecoder([cr, other]);
  assert.deepEqual(dec.stats().shadowedIds, ['0x0C8 in other.dbc (cr.dbc used)']);
});
