/**
 * The DBC decoder against Python cantools: every vector in test/fixtures/dbc/*.vectors.json
 * was decoded by cantools (see generate-vectors.py there); we must produce the same
 * signals, the same values (float tolerance), the same choice names and reject the
 * same payloads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { loadDbcFile } from '../../../vehicle-producer/dbc/dbc-parser.ts';
import { decodeMessage, DbcDecodeError } from '../../../vehicle-producer/dbc/signal-codec.ts';

const FIX = 'test/fixtures/dbc';
const files = readdirSync(FIX).filter((f) => f.endsWith('.vectors.json'));

interface Vector { data: string; values?: Record<string, number | string>; choices?: Record<string, string>; error?: string }
interface MsgEntry { name: string; frameId: number; extended: boolean; length: number; fd: boolean; cycleTimeMs: number | null; vectors?: Vector[] }

function close(actual: number, expected: number | string): boolean {
  const e = typeof expected === 'string' ? Number(expected === 'nan' ? NaN : expected === 'inf' ? Infinity : expected === '-inf' ? -Infinity : expected) : expected;
  if (Number.isNaN(e)) return Number.isNaN(actual);
  if (!Number.isFinite(e)) return actual === e;
  return Math.abs(actual - e) <= 1e-9 * Math.max(1, Math.abs(e));
}

test('fixture set covers every cantools DBC and the vehicle DBCs', () => {
  const dbcs = readdirSync('../shared/data/dbc/cantools').filter((f) => f.endsWith('.dbc'));
  for (const d of dbcs) assert.ok(files.includes(d.replace('.dbc', '.vectors.json')), `missing vectors for ${d}`);
  assert.ok(files.length >= dbcs.length + 3);
});

for (const f of files) {
  test(`decodes like cantools: ${f}`, () => {
    const fx = JSON.parse(readFileSync(`${FIX}/${f}`, 'utf8')) as { file: string; messages: MsgEntry[] };
    const db = loadDbcFile(`../shared/data/dbc/${fx.file}`);
    assert.equal(db.messages.length, fx.messages.length, 'message count');
    let checked = 0;
    for (const m of fx.messages) {
      const msg = db.messages.find((x) => x.name === m.name);
      assert.ok(msg, `message ${m.name} missing`);
      assert.equal(msg.frameId, m.frameId, `${m.name} frame id`);
      assert.equal(msg.extended, m.extended, `${m.name} extended`);
      assert.equal(msg.length, m.length, `${m.name} length`);
      assert.equal(msg.fd, m.fd, `${m.name} fd`);
      assert.equal(msg.cycleTimeMs, m.cycleTimeMs, `${m.name} cycle time`);
      for (const v of m.vectors ?? []) {
        const data = Buffer.from(v.data, 'hex');
        if (v.error !== undefined) {
          assert.throws(() => decodeMessage(msg, data), DbcDecodeError, `${m.name} ${v.data} should be rejected like cantools: ${v.error}`);
          checked++;
          continue;
        }
        const got = decodeMessage(msg, data);
        assert.deepEqual(Object.keys(got.values).sort(), Object.keys(v.values!).sort(), `${m.name} ${v.data}: decoded signal set`);
        for (const [k, e] of Object.entries(v.values!)) {
          assert.ok(close(got.values[k]!, e), `${m.name}.${k} on ${v.data}: got ${got.values[k]}, cantools ${e}`);
        }
        assert.deepEqual(got.choices, v.choices, `${m.name} ${v.data}: choice names`);
        checked++;
      }
    }
    assert.ok(checked > 0 || fx.messages.length === 0);
  });
}
