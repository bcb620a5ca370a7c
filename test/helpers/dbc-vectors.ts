/**
 * Checks the DBC decoder against decode vectors that Python cantools produced
 * (test/fixtures/dbc/generate-vectors.py): same messages, same signals, same values
 * (float tolerance), same choice names, and the same payloads rejected. Used by the unit
 * test on the repository's DBCs and by the benchmark on the reference DBCs.
 */
import assert from 'node:assert/strict';
import { loadDbcFile } from '../../vehicle-producer/dbc/dbc-parser.ts';
import { decodeMessage, DbcDecodeError } from '../../vehicle-producer/dbc/signal-codec.ts';

export interface DbcVector { data: string; values?: Record<string, number | string>; choices?: Record<string, string>; error?: string }
export interface DbcVectorMessage { name: string; frameId: number; extended: boolean; length: number; fd: boolean; cycleTimeMs: number | null; vectors?: DbcVector[] }
/** One `<stem>.vectors.json`: `file` is relative to the folder the DBCs are read from. */
export interface DbcVectorFile { file: string; messages: DbcVectorMessage[] }

function close(actual: number, expected: number | string): boolean {
  const e = typeof expected === 'string' ? Number(expected === 'nan' ? NaN : expected === 'inf' ? Infinity : expected === '-inf' ? -Infinity : expected) : expected;
  if (Number.isNaN(e)) return Number.isNaN(actual);
  if (!Number.isFinite(e)) return actual === e;
  return Math.abs(actual - e) <= 1e-9 * Math.max(1, Math.abs(e));
}

/** Asserts that the DBC at `dbcPath` decodes every vector of `fx` as cantools did; returns the vectors checked. */
export function checkDbcVectors(fx: DbcVectorFile, dbcPath: string): number {
  const db = loadDbcFile(dbcPath);
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
  return checked;
}
