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
 * the line/paragraph separators escaped, anything past `max` characters replaced by
 * `… (N chars)`. Built character by character, so the result never shares memory with `s`
 * (a slice of a 1 MiB read chunk would keep the whole chunk alive).
 */
export function printable(s: string, max = UNTRUSTED_TEXT_MAX): string {
  const n = Math.min(s.length, max);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) out.push(escaped(c));
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      if (i + 1 >= n) break; // do not cut a pair in half
      out.push(String.fromCharCode(c, s.charCodeAt(++i)));
    } else if (c >= 0xd800 && c <= 0xdfff) out.push(escaped(c));
    else out.push(String.fromCharCode(c));
  }
  if (s.length > n) out.push(`… (${s.length} chars)`);
  return out.join('');
}
