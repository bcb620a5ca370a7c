/**
 * The chunked line reader: numbering, CRLF, a last line without newline, gzip, and lines
 * split across read chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LineSplitter, readLines, splitLines } from '../../../vehicle-producer/sources/line-reader.ts';

async function all(file: string): Promise<[number, string][]> {
  const out: [number, string][] = [];
  for await (const [n, t] of readLines(file)) out.push([n, t]);
  return out;
}

test('plain, CRLF, no final newline, gzip, and 3 MB of lines across chunk borders', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-lines-'));
  try {
    writeFileSync(join(dir, 'a.log'), 'one\r\ntwo\n\nfour');
    assert.deepEqual(await all(join(dir, 'a.log')), [[1, 'one'], [2, 'two'], [3, ''], [4, 'four']]);
    writeFileSync(join(dir, 'b.log.gz'), gzipSync('x\ny\n'));
    assert.deepEqual(await all(join(dir, 'b.log.gz')), [[1, 'x'], [2, 'y']]);
    const big = Array.from({ length: 150_000 }, (_, i) => `line-${i}-${'z'.repeat(i % 17)}`);
    writeFileSync(join(dir, 'c.log'), big.join('\n') + '\n');
    const got = await all(join(dir, 'c.log'));
    assert.equal(got.length, big.length);
    assert.ok(got.every(([n, t]) => t === big[n - 1]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LF, CRLF and lone CR give the same lines wherever the chunks split them; the BOM and over-long lines', () => {
  const text = '\ufeffone\r\ntwo\rthree\n\rfive\r\r\nseven';
  const want = [[1, 'one', 0], [2, 'two', 0], [3, 'three', 0], [4, '', 0], [5, 'five', 0], [6, '', 0], [7, 'seven', 0]];
  assert.deepEqual(splitLines(text), want);
  for (let a = 0; a <= text.length; a++) for (let b = a; b <= text.length; b++) {
    const s = new LineSplitter();
    const got = [];
    for (const chunk of [text.slice(0, a), text.slice(a, b), text.slice(b)]) {
      s.push(chunk);
      for (let l = s.next(); l; l = s.next()) got.push(l);
    }
    const last = s.end();
    if (last) got.push(last);
    assert.deepEqual(got, want, `chunks split at ${a} and ${b}`);
  }
  const cut = new LineSplitter(4);
  cut.push('abcdefgh\nij\n');
  assert.deepEqual([cut.next(), cut.next(), cut.next()], [[1, 'abcd', 8], [2, 'ij', 0], null]);
});
