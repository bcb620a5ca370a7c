/**
 * Maps schema-registry failures to fmeaflow errors. The registry speaks in HTTP codes and
 * JSON pointers ("list of diff types: [b at /fields/1]"); users need the field name and,
 * when the registry is down, how to start one.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { START_STACK_HINT } from '../kafka/connection.ts';

const NETWORK = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|socket hang up|fetch failed|network/i;

/** True when the error means the registry could not be reached at all. */
export function isUnreachable(err: unknown): boolean {
  return NETWORK.test(String((err as Error)?.message ?? err));
}

/** HTTP status carried by a registry client error, if any. */
export function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown })?.status;
  return typeof s === 'number' ? s : undefined;
}

/** The error raised when the registry at `url` cannot be reached. */
export function unreachable(url: string, err: unknown): FmeaflowError {
  return new FmeaflowError(ErrorCodes.REGISTRY_UNREACHABLE, `schema registry at ${url} is unreachable (${(err as Error)?.message ?? String(err)}); set SCHEMA_REGISTRY_URL or ${START_STACK_HINT}`, {
    retriable: true,
    cause: err,
    details: { url },
  });
}

/**
 * Resolves a JSON pointer into an Avro schema to the dotted field path it denotes:
 * `/fields/6/type/items/fields/8` → `frames.data`. Falls back to the pointer itself.
 */
export function pointerToFieldPath(schema: unknown, pointer: string): string {
  const segs = pointer.split('/').filter((s) => s.length > 0).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const names: string[] = [];
  let node: unknown = schema;
  for (let i = 0; i < segs.length; i++) {
    if (node === null || typeof node !== 'object') return pointer;
    const seg = segs[i]!;
    node = Array.isArray(node) ? node[Number(seg)] : (node as Record<string, unknown>)[seg];
    if (segs[i - 1] === 'fields' && node !== null && typeof node === 'object' && typeof (node as { name?: unknown }).name === 'string') {
      names.push((node as { name: string }).name);
    }
  }
  return names.length > 0 ? names.join('.') : pointer;
}

/** Field paths named in a registry incompatibility message (Apicurio pointers or Confluent `additionalInfo`). */
export function incompatibleFields(message: string, schema: unknown): string[] {
  const fields = new Set<string>();
  for (const m of message.matchAll(/\bat (\/[^\s,\]]*)/g)) fields.add(pointerToFieldPath(schema, m[1]!));
  for (const m of message.matchAll(/additionalInfo[^A-Za-z0-9_]+([A-Za-z0-9_.]+)/g)) fields.add(m[1]!);
  for (const m of message.matchAll(/field[ ']+([A-Za-z_][A-Za-z0-9_]*)/gi)) fields.add(m[1]!);
  return [...fields];
}

/** The error raised when the registry rejects `schema` for `subject` as incompatible. */
export function incompatible(subject: string, schema: unknown, err: unknown): FmeaflowError {
  const raw = String((err as Error)?.message ?? err);
  const fields = incompatibleFields(raw, schema);
  const named = fields.length > 0 ? `field${fields.length > 1 ? 's' : ''} ${fields.map((f) => `'${f}'`).join(', ')}` : 'a field';
  return new FmeaflowError(
    ErrorCodes.SCHEMA_INCOMPATIBLE,
    `schema for ${subject} is not BACKWARD compatible with the registered version: ${named} (new fields need a default; removed or retyped fields break old readers). Registry said: ${raw}`,
    { cause: err, details: { subject, fields } },
  );
}
