/**
 * Untrusted input (a capture line, a DBC token, a JSON value) quoted in an error message or
 * an issue list: cut to a bound and with control characters made visible. A 10 MB line
 * must not become a 10 MB message, and a terminal escape sequence in a capture must not
 * reach the operator's terminal as one.
 */

/** Default bound, in characters of the input, of a quoted token. */
export const UNTRUSTED_TEXT_MAX = 80;

function escaped(c: number): string {
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c === 0x09) return '\\t';
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/**
 * A bounded, printable copy of `s`: control characters (C0, DEL, C1), lone surrogates and
 * the line/paragraph separators escaped, the copy cut at `max` characters of output (an
 * escape counts as the characters it prints) and ended with `… (N chars)`. Built piece by
 * piece, so it never shares memory with `s` (a slice of a 1 MiB read chunk would keep the
 * whole chunk alive).
 */
export function printable(s: string, max = UNTRUSTED_TEXT_MAX): string {
  const out: string[] = [];
  let len = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let piece: string;
    let width = 1;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) piece = escaped(c);
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      piece = String.fromCharCode(c, s.charCodeAt(i + 1));
      width = 2;
    } else if (c >= 0xd800 && c <= 0xdfff) piece = escaped(c);
    else piece = String.fromCharCode(c);
    if (len + piece.length > max) break;
    out.push(piece);
    len += piece.length;
    i += width - 1;
  }
  if (i < s.length) out.push(`… (${s.length} chars)`);
  return out.join('');
}
