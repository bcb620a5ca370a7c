/**
 * Lenient readers for decoded records (Avro through avsc, or JSON through a repartition
 * topic): longs may arrive as bigints and JSON-encoded unions as `{"string": "x"}`. They never
 * throw; callers decide which missing fields are errors.
 */

type Obj = Record<string, unknown>;

/** The bare value of a JSON-encoded Avro union (`{"long": 5}` → 5); other values unchanged. */
export function unwrap(v: unknown): unknown {
  // avsc decodes unions as the bare value, but JSON-encoded Avro wraps them as {"string": "x"}.
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && ['string', 'long', 'int', 'double', 'float', 'boolean', 'array', 'map'].includes(keys[0]!)) return (v as Obj)[keys[0]!];
  }
  return v;
}

/** First present field among `names`. */
export function pick(o: Obj, ...names: string[]): unknown {
  for (const n of names) {
    const v = unwrap(o[n]);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

/** An optional string field. */
export function optStr(o: Obj, ...names: string[]): string | undefined {
  const v = pick(o, ...names);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** An optional numeric field (accepts bigint longs). */
export function optNum(o: Obj, ...names: string[]): number | undefined {
  const v = pick(o, ...names);
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

/** A list of strings (missing → empty). */
export function strList(o: Obj, ...names: string[]): string[] {
  const v = pick(o, ...names);
  if (!Array.isArray(v)) return [];
  return v.map(unwrap).filter((x): x is string => typeof x === 'string');
}

/** A list of nested records (missing → empty; non-objects skipped). */
export function records(o: Obj, ...names: string[]): Obj[] {
  const v = pick(o, ...names);
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x));
}
