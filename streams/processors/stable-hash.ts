/**
 * Ids that must be the same on every worker and after every restart (alert ids, fleet
 * cluster ids): FNV-1a 64-bit over the parts joined by NUL, as 16 hex digits. Not
 * cryptographic; chosen because it is tiny, deterministic and independent of Node's version.
 */

/** 16-hex-digit FNV-1a 64 hash of the parts joined by NUL. */
export function stableHash(...parts: string[]): string {
  let h = 0xcbf29ce484222325n;
  const text = parts.join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}
