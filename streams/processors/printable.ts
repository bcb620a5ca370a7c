/**
 * Untrusted text (keys, ids and values from a published file) made safe to echo in a one-line
 * message: control characters (line breaks, terminal escape sequences, bidi overrides) are
 * shown escaped instead of acting on the terminal or splitting a log line, and the length is
 * bounded so a huge token cannot make a huge message.
 */

// C0, DEL, C1, line/paragraph separators and the bidi embedding/override/isolate marks.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with unprintable characters as \uXXXX escapes, cut to `maxChars` (default 200) with an ellipsis. */
export function printable(text: string, maxChars = 200): string {
  const cut = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return cut.replace(UNPRINTABLE, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
