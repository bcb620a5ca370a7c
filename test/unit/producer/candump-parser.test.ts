/**
 * candump text forms, with expectations written from the can-utils format (lib.c
 * parse_canframe / sprint_long_canframe and the candump man page), not from the parser.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCandumpLine, newCandumpParseState } from '../../../vehicle-producer/sources/candump-parser.ts';
import { parseCandumpText } from '../../../vehicle-producer/sources/candump-source.ts';
import { IssueLog } from '../../../vehicle-producer/sources/source-errors.ts';
import { formatCandumpLog, type CanFrame } from '../../../vehicle-producer/can-frame.ts';

function frame(line: string, opts = {}): CanFrame {
  const r = parseCandumpLine(line, opts);
  assert.equal(r.kind, 'frame', `expected a frame from '${line}', got ${JSON.stringify(r)}`);
  return (r as { frame: CanFrame }).frame;
}
function reason(line: string): string {
  const r = parseCandumpLine(line);
  assert.equal(r.kind, 'error', `expected '${line}' to be rejected`);
  return (r as { reason: string }).reason;
}

test('log form: standard id, epoch timestamp to the microsecond', () => {
  const f = frame('(1436509052.249713) vcan0 044#2A366C2BBA');
  assert.equal(f.timestampUs, 1436509052249713);
  assert.equal(f.iface, 'vcan0');
  assert.equal(f.id, 0x44);
  assert.equal(f.extended, false);
  assert.equal(f.dlc, 5);
  assert.deepEqual([...f.data], [0x2a, 0x36, 0x6c, 0x2b, 0xba]);
  assert.equal(f.rtr || f.fd || f.error, false);
});

test('log form: extended 8-digit id, empty payload, dotted payload', () => {
  const f = frame('(1.000001) can1 12345678#');
  assert.equal(f.id, 0x12345678);
  assert.equal(f.extended, true);
  assert.equal(f.dlc, 0);
  const g = frame('(1700000000.000000) can0 123#11.22.33');
  assert.deepEqual([...g.data], [0x11, 0x22, 0x33]);
});

test('log form: remote requests with and without length', () => {
  const a = frame('(1700000000.5) can0 123#R');
  assert.equal(a.rtr, true);
  assert.equal(a.dlc, 0);
  assert.equal(a.data.length, 0);
  assert.equal(a.timestampUs, 1700000000500000);
  const b = frame('(1700000000.5) can0 1ABCDEF0#R5');
  assert.equal(b.rtr, true);
  assert.equal(b.dlc, 5);
  assert.equal(b.extended, true);
});

test('log form: CAN FD with flags (BRS=1, ESI=2) and 12/64-byte payloads', () => {
  const f = frame('(1700000000.000001) can0 123##1' + '00'.repeat(12));
  assert.equal(f.fd, true);
  assert.equal(f.brs, true);
  assert.equal(f.esi, false);
  assert.equal(f.data.length, 12);
  assert.equal(f.dlc, 9); // DLC 9 means 12 bytes in CAN FD
  const g = frame('(1700000000.000001) can0 12345678##3' + 'AB'.repeat(64));
  assert.equal(g.extended, true);
  assert.equal(g.brs && g.esi, true);
  assert.equal(g.dlc, 15);
  assert.equal(g.data.length, 64);
  const h = frame('(1700000000.000001) can0 7FF##0');
  assert.equal(h.fd, true);
  assert.equal(h.data.length, 0);
});

test('log form: error frames carry CAN_ERR_FLAG 0x20000000 in an 8-digit id', () => {
  const f = frame('(1700000000.000001) can0 20000088#0000080000000000');
  assert.equal(f.error, true);
  assert.equal(f.extended, false);
  assert.equal(f.id, 0x88); // CAN_ERR_PROT | CAN_ERR_BUSERROR class bits
  assert.equal(f.data.length, 8);
  assert.equal(f.data[2], 0x08);
});

test('log form: classic CAN len8_dlc suffix and trailing direction flag', () => {
  const f = frame('(1700000000.000001) can0 123#1122334455667788_E');
  assert.equal(f.dlc, 14);
  assert.equal(f.data.length, 8);
  const g = frame('(1700000000.000001) can0 123#11 R');
  assert.deepEqual([...g.data], [0x11]);
});

test('screen form without timestamp: iface, id, [len], bytes', () => {
  const f = frame('  can0  123   [8]  01 02 03 04 05 06 07 08', { baseTimeUs: 42 });
  assert.equal(f.id, 0x123);
  assert.equal(f.dlc, 8);
  assert.equal(f.timestampUs, 42);
  assert.deepEqual([...f.data], [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('screen form -ta with date timestamp (UTC) and trailing ASCII column', () => {
  const f = frame("(2024-01-01 12:00:00.123456)  can0  123   [8]  01 02 03 04 05 06 07 08   '........'");
  assert.equal(f.timestampUs, Date.UTC(2024, 0, 1, 12, 0, 0) * 1000 + 123456);
  assert.equal(f.data.length, 8);
  const g = frame('(2024-01-01 12:00:00.123456)  can0  123   [2]  01 02', { dateTzOffsetMinutes: 60 });
  assert.equal(g.timestampUs, (Date.UTC(2024, 0, 1, 11, 0, 0)) * 1000 + 123456);
});

test('screen form -ta epoch, extended id, remote request, FD two-digit length, error frame', () => {
  const a = frame('(1436509052.249713)  can0  12345678   [3]  11 22 33');
  assert.equal(a.extended, true);
  assert.equal(a.timestampUs, 1436509052249713);
  const b = frame('(1436509052.249713)  can0  123   [4]  remote request');
  assert.equal(b.rtr, true);
  assert.equal(b.dlc, 4);
  const c = frame('(1436509052.249713)  can0  123  [12]  00 01 02 03 04 05 06 07 08 09 0A 0B');
  assert.equal(c.fd, true);
  assert.equal(c.dlc, 9);
  const d = frame('(1436509052.249713)  can0  20000004   [8]  00 04 00 00 00 00 00 00   ERRORFRAME');
  assert.equal(d.error, true);
  assert.equal(d.id, 4);
  const e = frame('(1436509052.249713)  can0  RX B -  123  [16]  ' + '00 '.repeat(16));
  assert.equal(e.fd && e.brs, true);
  assert.equal(e.esi, false);
});

test('relative timestamps: -tz zero-based and -td delta, both on a base time', () => {
  const st = newCandumpParseState();
  const a = parseCandumpLine('(000.100000)  can0  123   [1]  01', { baseTimeUs: 1_000_000 }, st);
  assert.equal(a.kind === 'frame' && a.frame.timestampUs, 1_100_000);
  const st2 = newCandumpParseState();
  const opts = { baseTimeUs: 1_000_000, relativeMode: 'delta' as const };
  const x = parseCandumpLine('(000.000000)  can0  123   [1]  01', opts, st2);
  const y = parseCandumpLine('(000.250000)  can0  123   [1]  01', opts, st2);
  const z = parseCandumpLine('(000.250000)  can0  123   [1]  01', opts, st2);
  assert.deepEqual([x, y, z].map((r) => r.kind === 'frame' && r.frame.timestampUs), [1_000_000, 1_250_000, 1_500_000]);
});

test('bad lines are rejected with a reason', () => {
  assert.match(reason('(1700000000.0) can0 1234#00'), /3 \(standard\) or 8 \(extended\)/);
  assert.match(reason('(1700000000.0) can0 800#00'), /exceeds 0x7FF/);
  assert.match(reason('(1700000000.0) can0 123#0'), /odd number/);
  assert.match(reason('(1700000000.0) can0 123#112233445566778899'), /exceeds 8/);
  assert.match(reason('(1700000000.0) can0 123#ZZ'), /not hexadecimal/);
  assert.match(reason('(1700000000.0) can0 123##1' + '00'.repeat(10)), /not a valid FD length/);
  assert.match(reason('(170000x) can0 123#00'), /timestamp/);
  assert.match(reason('(1700000000.0 can0 123#00'), /not closed/);
  assert.match(reason('  can0  123   [8]  01 02'), /8 bytes but 2/);
  assert.match(reason('can0'), /interface and a frame/);
  assert.match(reason('(1700000000.0) can0 123#R9'), /0-8/);
  // Screen form: nothing but the ASCII column or ERRORFRAME may follow the bytes the length announces.
  assert.match(reason('  can0  123   [8]  01 02 03 04 05 06 07 08 09'), /more data bytes/);
  assert.match(reason('  can0  123   [2]  01 02 zz garbage'), /unexpected 'zz'/);
  // An error frame is a classic frame with CAN_ERR_FLAG; lib.c never writes it with '##'.
  assert.match(reason('(1700000000.0) can0 20000004##0'), /error frames cannot be CAN FD/);
});

test('a file with bad lines: good frames kept, bad ones reported by line and counted', () => {
  const text = ['(1700000000.000001) can0 123#01', 'garbage', '', '(1700000000.000002) can0 124#02', '(1700000000.000003) can0 12#02', ''].join('\n');
  const issues = new IssueLog();
  const frames = parseCandumpText(text, 'x.log', issues);
  assert.deepEqual(frames.map((f) => f.id), [0x123, 0x124]);
  assert.equal(issues.count, 2);
  assert.deepEqual(issues.issues.map((i) => i.line), [2, 5]);
  assert.match(issues.format()[0]!, /^x\.log:2: /);
});

test('the -L writer produces exactly the documented text for each frame kind', () => {
  const base = { timestampUs: 1700000000000123, iface: 'can0', extended: false, fd: false, brs: false, esi: false, rtr: false, error: false };
  assert.equal(formatCandumpLog({ ...base, id: 0x2a3, dlc: 2, data: Buffer.from([0xab, 0x01]) }), '(1700000000.000123) can0 2A3#AB01');
  assert.equal(formatCandumpLog({ ...base, id: 0x1abcdef, extended: true, dlc: 0, data: Buffer.alloc(0) }), '(1700000000.000123) can0 01ABCDEF#');
  assert.equal(formatCandumpLog({ ...base, id: 0x7df, rtr: true, dlc: 3, data: Buffer.alloc(0) }), '(1700000000.000123) can0 7DF#R3');
  assert.equal(formatCandumpLog({ ...base, id: 0x88, error: true, dlc: 8, data: Buffer.alloc(8) }), '(1700000000.000123) can0 20000088#0000000000000000');
  assert.equal(formatCandumpLog({ ...base, id: 0x10, fd: true, brs: true, dlc: 9, data: Buffer.alloc(12, 0xff) }), '(1700000000.000123) can0 010##1' + 'FF'.repeat(12));
});
