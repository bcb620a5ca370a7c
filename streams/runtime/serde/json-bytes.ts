/**
 * JSON encoding of Avro `bytes` values: `{"$bytes":"<base64>"}`. Example files in
 * `schemas/examples/` and JSON-coded internal topics use it so binary payloads survive
 * a trip through text without guessing which strings were meant as bytes.
 */

/** JSON.parse reviver turning `{"$bytes":"…"}` objects into Buffers. */
export function bytesReviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$bytes' && typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
  }
  return value;
}

/** Converts Buffers (anywhere in a value) into `{"$bytes":"…"}` so JSON.stringify keeps them. */
export function toJsonSafe(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $bytes: value.toString('base64') };
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value !== null && typeof value === 'object') {
    if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, toJsonSafe(v)]));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonSafe(v);
    return out;
  }
  return value;
}

/** Parses JSON text with `$bytes` support. */
export function parseJsonWithBytes(text: string): unknown {
  return JSON.parse(text, bytesReviver);
}

/** Serialises a value to JSON with `$bytes` support. */
export function stringifyWithBytes(value: unknown): string {
  return JSON.stringify(toJsonSafe(value));
}
