/**
 * Line-by-line reading of text sources (plain or gzip by file extension, or stdin as `-`)
 * with 1-based line numbers, so every parser can report `file:line` for bad input.
 * Splits stream chunks itself: several times faster than node:readline on big captures.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/** Yields `[lineNumber, text]` for each line of a file (`.gz` is decompressed; `-` is stdin). */
export async function* readLines(file: string): AsyncGenerator<[number, string]> {
  let input: Readable = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  if (file.endsWith('.gz')) input = input.pipe(createGunzip());
  input.setEncoding('utf8');
  let rest = '';
  let n = 0;
  for await (const chunk of input as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield [++n, text.slice(start, end)];
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) yield [++n, rest.endsWith('\r') ? rest.slice(0, -1) : rest];
}
