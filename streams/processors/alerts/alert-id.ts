/**
 * Stable alert ids: FNV-1a 64-bit over rule and subject, hex. Same rule + same series
 * gives the same id across restarts and workers, which is what deduplication needs.
 */

/** 16-hex-digit FNV-1a 64 hash of the parts joined by NUL. */
export function alertId(...parts: string[]): string {
  let h = 0xcbf29ce484222325n;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}
