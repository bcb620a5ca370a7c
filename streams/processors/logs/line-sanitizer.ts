/**
 * Makes an arbitrary log body safe to mine: bounded length, valid text, no control
 * garbage. Vehicles send whatever their services print (binary dumps, megabyte stack
 * traces, broken encodings); the miner must see a bounded, printable line and every
 * repair must be counted rather than silently applied.
 */

/** Marker appended to a line cut at `maxLineChars`; it becomes its own token so truncated lines stay recognisable. */
export const TRUNCATION_MARKER = '<TRUNCATED>';

/** Token a line becomes when nothing printable is left (binary garbage). */
export const BINARY_MARKER = '<BINARY>';

/** What was repaired in one line, for the processor's counters. */
export interface SanitizeResult {
  readonly text: string;
  readonly empty: boolean;
  readonly truncated: boolean;
  /** Count of U+FFFD replacement characters (invalid UTF-8 replaced upstream or here). */
  readonly replacementChars: number;
  /** True when most characters were control/replacement characters. */
  readonly binary: boolean;
}

// Control characters except tab; they carry no template meaning and break tokenising.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

// A lone UTF-16 surrogate is what invalid input leaves behind after lossy decoding by some clients.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// Anything the slow path would change or count: control characters, U+FFFD, surrogates (paired ones are fine but rare).
const SUSPICIOUS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\ufffd\ud800-\udfff]/;

/** Cleans one body: cut to `maxLineChars`, control chars to spaces, lone surrogates to U+FFFD. */
export function sanitizeLine(body: string | Uint8Array, maxLineChars = 4096): SanitizeResult {
  let raw = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: false }).decode(body);
  let truncated = false;
  // Cut before any regex work so a 1 MB line costs O(maxLineChars), not O(1 MB).
  if (raw.length > maxLineChars) {
    raw = raw.slice(0, maxLineChars);
    truncated = true;
  }
  // Fast path: the usual clean line skips the per-character scan entirely.
  if (!SUSPICIOUS.test(raw)) {
    const text = raw.trim();
    if (text.length === 0) return { text: '', empty: true, truncated, replacementChars: 0, binary: false };
    return { text: truncated ? `${text} ${TRUNCATION_MARKER}` : text, empty: false, truncated, replacementChars: 0, binary: false };
  }
  const wellFormed = raw.replace(LONE_SURROGATE, '\ufffd');
  let replacementChars = 0;
  let controls = 0;
  for (let i = 0; i < wellFormed.length; i++) {
    const c = wellFormed.charCodeAt(i);
    if (c === 0xfffd) replacementChars++;
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) controls++;
  }
  const cleaned = wellFormed.replace(CONTROL, ' ').trim();
  const garbage = replacementChars + controls;
  // Short lines are judged as text: a stray control byte in a 5-character line is not a binary dump.
  const binary = wellFormed.length >= 16 && garbage / wellFormed.length > 0.3;
  if (binary) {
    return { text: truncated ? `${BINARY_MARKER} ${TRUNCATION_MARKER}` : BINARY_MARKER, empty: false, truncated, replacementChars, binary };
  }
  if (cleaned.length === 0) return { text: '', empty: true, truncated, replacementChars, binary: false };
  return { text: truncated ? `${cleaned} ${TRUNCATION_MARKER}` : cleaned, empty: false, truncated, replacementChars, binary: false };
}
