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
import { readLines } from '../../../vehicle-producer/sources/line-reader.ts';

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
