/**
 * DBC parsing details and bad input, with expectations computed by hand from the DBC
 * bit-numbering rules, plus encode→decode round trips on the vehicle DBCs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDbc, loadDbcFile } from '../../../vehicle-producer/dbc/dbc-parser.ts';
import { decodeMessage, encodeMessage } from '../../../vehicle-producer/dbc/signal-codec.ts';
import { SourceLocationError } from '../../../streams/errors.ts';

const HAND = `VERSION ""

NS_ :
\tCM_
\tSIG_VALTYPE_

BS_:
BU_: ECU

BO_ 2147484320 EXT_MSG: 8 ECU
 SG_ Motorola12 : 7|12@0+ (1,0) [0|4095] "" ECU
 SG_ IntelSigned : 16|8@1- (0.5,-10) [-74|53.5] "degC" ECU
 SG_ Fl : 32|32@1- (1,0) [0|0] "" ECU

BO_ 291 MUXED: 8 ECU
 SG_ Sw M : 0|8@1+ (1,0) [0|255] "" ECU
 SG_ A m1 : 8|8@1+ (1,0) [0|255] "" ECU
 SG_ B m2 : 8|16@1+ (2,100) [0|255] "rpm" ECU

CM_ SG_ 291 A "comment with ; and
two lines";
BA_DEF_ BO_ "GenMsgCycleTime" INT 0 10000;
BA_DEF_DEF_ "GenMsgCycleTime" 0;
BA_ "GenMsgCycleTime" BO_ 291 20;
VAL_ 291 Sw 1 "ONE" 2 "TWO" ;
SIG_VALTYPE_ 2147484320 Fl : 1;
`;

test('hand-computed layout: Motorola, signed Intel with scale/offset, float, extended id', () => {
  const db = parseDbc(HAND, 'hand.dbc');
  const m = db.messages.find((x) => x.name === 'EXT_MSG')!;
  assert.equal(m.extended, true);
  assert.equal(m.frameId, 0x2a0); // 2147484320 - 2^31
  // Motorola start bit 7 = MSB of byte 0; 12 bits = byte0 (8 bits) + high nibble of byte1.
  const data = Buffer.from([0xab, 0xc0, 0xfe, 0, 0, 0, 0xc0, 0x3f]);
  // float32 0x3FC00000 little endian at bytes 4..7 = 1.5
  const d = decodeMessage(m, data);
  assert.equal(d.values.Motorola12, 0xabc);
  assert.equal(d.values.IntelSigned, -2 * 0.5 - 10); // 0xFE = -2
  assert.equal(d.values.Fl, 1.5);
});

test('multiplexing, choices and GenMsgCycleTime', () => {
  const db = parseDbc(HAND, 'hand.dbc');
  const m = db.messages.find((x) => x.name === 'MUXED')!;
  assert.equal(m.cycleTimeMs, 20);
  assert.equal(db.messages.find((x) => x.name === 'EXT_MSG')!.cycleTimeMs, null);
  const one = decodeMessage(m, Buffer.from([1, 7, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(one.values, { Sw: 1, A: 7 });
  assert.deepEqual(one.choices, { Sw: 'ONE' });
  const two = decodeMessage(m, Buffer.from([2, 0x10, 0x00, 0, 0, 0, 0, 0]));
  assert.deepEqual(two.values, { Sw: 2, B: 0x10 * 2 + 100 });
  assert.throws(() => decodeMessage(m, Buffer.from([3, 0, 0, 0, 0, 0, 0, 0])), /expected multiplexer Sw id 1, 2, but got 3/);
  assert.throws(() => decodeMessage(m, Buffer.from([1, 0])), /payload has 2 bytes/);
});

test('encode then decode returns the physical values (within one scale step) on every vehicle DBC message', () => {
  for (const f of ['vehicle-producer/dbc/vehicles/hybrid_hatchback.dbc', 'vehicle-producer/dbc/vehicles/ev_sedan.dbc', 'vehicle-producer/dbc/vehicles/pickup_truck.dbc', 'test/fixtures/dbc/decoder-cases.dbc']) {
    const db = loadDbcFile(f);
    for (const m of db.messages) {
      const values: Record<string, number> = {};
      for (const s of m.signals) {
        if (s.multiplexerSignal !== null && !s.multiplexerIds.includes(values[s.multiplexerSignal] ?? -1)) continue;
        const lo = s.min < s.max ? s.min : s.offset;
        values[s.name] = s.isMultiplexer ? (m.signals.find((c) => c.multiplexerSignal === s.name)?.multiplexerIds[0] ?? 0) : lo + (s.min < s.max ? (s.max - s.min) / 3 : 0);
      }
      const data = encodeMessage(m, values);
      const back = decodeMessage(m, data).values;
      for (const [k, v] of Object.entries(values)) {
        if (!(k in back)) continue;
        const s = m.signals.find((x) => x.name === k)!;
        const span = s.signed ? 2 ** (s.length - 1) : 2 ** s.length;
        const inRange = (v - s.offset) / s.scale < span && (v - s.offset) / s.scale >= (s.signed ? -span : 0);
        if (!inRange || s.valueType !== 'int') continue;
        assert.ok(Math.abs(back[k]! - v) <= Math.abs(s.scale) / 2 + 1e-9, `${f} ${m.name}.${k}: wrote ${v}, read ${back[k]}`);
      }
    }
  }
});

test('malformed DBC input names file, line and field', () => {
  const cases: [string, number, RegExp][] = [
    ['BO_ 1 M: 8 X\n SG_ S : 0|8@2+ (1,0) [0|1] "" X\n', 2, /malformed signal/],
    ['BO_ x M: 8 X\n', 1, /malformed message/],
    ['VERSION ""\n SG_ S : 0|8@1+ (1,0) [0|1] "" X\n', 2, /outside of a message/],
    ['BO_ 1 M: 8 X\n SG_ S : 60|8@1+ (1,0) [0|1] "" X\n', 2, /does not fit/],
    ['BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (1,0) [0|1] "" X\n\nSIG_VALTYPE_ 1 S : 1;\n', 4, /float signal S must be 32 bits/],
    ['BO_ 1 M: 8 X\n SG_ S m1 : 0|8@1+ (1,0) [0|1] "" X\n', 2, /no multiplexer/],
    ['BO_ 1 M: 8 X\n\nBA_ "GenMsgCycleTime" BO_ 1 10\n', 3, /not terminated/],
    ['FOO_ bar\n', 1, /unknown statement/],
    ['BO_ 1 M: 8 X\n SG_ S : 0|8@1+ (abc,0) [0|1] "" X\n', 2, /not a number/],
    ['BO_ 1 M: 8 X\n\nSG_MUL_VAL_ 1 S T 1-2;\n', 3, /unknown signal S/],
  ];
  for (const [text, line, re] of cases) {
    assert.throws(() => parseDbc(text, 'bad.dbc'), (e: unknown) => {
      assert.ok(e instanceof SourceLocationError, `not a SourceLocationError for ${JSON.stringify(text)}`);
      assert.equal(e.code, 'DBC_INVALID');
      assert.equal(e.file, 'bad.dbc');
      assert.equal(e.line, line, `line for ${JSON.stringify(text)}: ${e.message}`);
      assert.match(e.message, re);
      return true;
    });
  }
});
