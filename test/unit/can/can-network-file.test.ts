/**
 * The CAN network file: per vehicle model and bus, DBC files, bitrates and periodic messages.
 * The bundled file covers the simulated models; a user's file names its messages by DBC name
 * or id; every mistake is one error naming file, line, column and field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CAN_NETWORK_FILE, loadCanNetworkFile } from '../../../streams/can-network.ts';
import { ErrorCodes, FmeaflowError, SourceLocationError } from '../../../streams/errors.ts';

const VAN_DBC = `VERSION ""

BO_ 256 ENGINE: 8 ECU
 SG_ Rpm : 0|16@1+ (1,0) [0|8000] "rpm" GW

BO_ 512 DOORS: 2 BCM
 SG_ Open : 0|1@1+ (1,0) [0|1] "" GW

BO_ 768 CAMERA_FD: 64 CAM
 SG_ Frame : 0|8@1+ (1,0) [0|255] "" GW

BA_DEF_ BO_ "GenMsgCycleTime" INT 0 10000;
BA_DEF_DEF_ "GenMsgCycleTime" 0;
BA_ "GenMsgCycleTime" BO_ 256 20;
BA_ "GenMsgCycleTime" BO_ 768 50;
`;

function dir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'fmeaflow-can-network-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'van.dbc'), VAN_DBC);
  return d;
}

test('the bundled network: every simulated model supervises the BMS heartbeat 0x2A3 every 100 ms at 500 kbit/s', () => {
  const nets = loadCanNetworkFile(DEFAULT_CAN_NETWORK_FILE);
  assert.deepEqual([...nets.keys()].sort(), ['ev_sedan', 'hybrid_hatchback', 'pickup_truck']);
  for (const [model, buses] of nets) {
    const main = buses.get('main')!;
    assert.deepEqual([...main.cycleTimesMs], [[0x2a3, 100]], model);
    assert.equal(main.bitrateBps, 500_000);
    assert.equal(main.expectedDlc!.get(0x2a3), 8);
  }
  // The model's own DBC gives expected DLCs of its other messages (the hatchback's VEHICLE_SPEED, 0xB0, 8 bytes).
  assert.equal(nets.get('hybrid_hatchback')!.get('main')!.expectedDlc!.get(0xb0), 8);
});

test('a user network: periodic messages by name or id, default = every message with a cycle time; CAN FD DLC codes', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'net.yaml'), [
    'models:',
    '  van-2020:',
    '    powertrain: { dbc: van.dbc, bitrate: 250000, periodic: [ENGINE, 0x300] }',
    '    body: { dbc: [van.dbc], bitrate: 500000, dataBitrate: 2000000 }',
  ].join('\n'));
  const van = loadCanNetworkFile(join(d, 'net.yaml')).get('van-2020')!;
  const pt = van.get('powertrain')!;
  assert.deepEqual([...pt.cycleTimesMs].sort(), [[0x100, 20], [0x300, 50]]);
  assert.equal(pt.bitrateBps, 250_000);
  assert.equal(pt.dataBitrateBps, undefined);
  const body = van.get('body')!;
  assert.deepEqual([...body.cycleTimesMs].sort(), [[0x100, 20], [0x300, 50]], 'DOORS has no cycle time');
  assert.equal(body.dataBitrateBps, 2_000_000);
  // 64 data bytes are DLC code 15 on the wire.
  assert.deepEqual([...body.expectedDlc!].sort(), [[0x100, 8], [0x200, 2], [0x300, 15]]);
});

test('every mistake is one error with file, line, column and field', (t) => {
  const d = dir(t);
  const cases: [string, RegExp][] = [
    ['models:\n  van:\n    main: { dbc: van.dbc, bitrate: 250000, colour: red }\n', /net\.yaml:3:\d+ \(models\.van\.main\.colour\): unknown field "colour"/],
    ['models:\n  van:\n    main: { dbc: van.dbc }\n', /net\.yaml:3:\d+ \(models\.van\.main\.bitrate\): missing required field "bitrate"/],
    ['models:\n  van:\n    main: { dbc: van.dbc, bitrate: 5 }\n', /net\.yaml:3:\d+ \(models\.van\.main\.bitrate\): must be >= 10000/],
    ['models:\n  van:\n    main:\n      dbc: [van.dbc, nope.dbc]\n      bitrate: 250000\n', /net\.yaml:4:\d+ \(models\.van\.main\.dbc\[1\]\): DBC file .*nope\.dbc: no such file/],
    ['models:\n  van:\n    main:\n      dbc: van.dbc\n      bitrate: 250000\n      periodic: [ENGINE, BRAKES]\n', /net\.yaml:6:\d+ \(models\.van\.main\.periodic\[1\]\): message "BRAKES" is in none of the bus's DBC files/],
    ['models:\n  van:\n    main:\n      dbc: van.dbc\n      bitrate: 250000\n      periodic: [DOORS]\n', /net\.yaml:6:\d+ \(models\.van\.main\.periodic\[0\]\): message DOORS has no GenMsgCycleTime/],
    ['models:\n  van:\n    main: { dbc: van.dbc, bitrate: 500000, dataBitrate: 250000 }\n', /net\.yaml:3:\d+ \(models\.van\.main\.dataBitrate\): the CAN FD data bitrate/],
    ['models:\n  van:\n    main: { dbc: van.dbc, bitrate: 250000\n', /net\.yaml:\d+:\d+ \(\(yaml\)\)/],
    ['buses: {}\n', /net\.yaml:1:1 \(models\): missing required field "models"/],
  ];
  for (const [yaml, want] of cases) {
    writeFileSync(join(d, 'net.yaml'), yaml);
    assert.throws(() => loadCanNetworkFile(join(d, 'net.yaml')), (e: unknown) => {
      assert.ok(e instanceof SourceLocationError, `${yaml}: ${String(e)}`);
      assert.equal(e.code, ErrorCodes.CAN_NETWORK_INVALID);
      assert.match(e.message, want);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  }
  writeFileSync(join(d, 'bad.dbc'), 'BO_ x M: 8 X\n');
  writeFileSync(join(d, 'net.yaml'), 'models:\n  van:\n    main: { dbc: bad.dbc, bitrate: 250000 }\n');
  assert.throws(() => loadCanNetworkFile(join(d, 'net.yaml')), (e: unknown) => e instanceof SourceLocationError && e.code === ErrorCodes.DBC_INVALID && /bad\.dbc:1/.test(e.message));
  assert.throws(() => loadCanNetworkFile(join(d, 'missing.yaml')), (e: unknown) => e instanceof FmeaflowError && e.code === ErrorCodes.BAD_CONFIG && /missing\.yaml: no such file/.test(e.message));
});
