/**
 * Defensive field readers for evidence adapters: records come from other teams' schemas,
 * so each read names the field it wanted and accepts the few spellings seen in practice
 * (camelCase alternatives, Avro unions decoded as `{type: value}`).
 */
import { InvalidEvidence } from './evidence.ts';

type Obj = Record<string, unknown>;

function unwrap(v: unknown): unknown {
  // avsc decodes unions as the bare value, but JSON-encoded Avro wraps them as {"string": "x"}.
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && ['string', 'long', 'int', 'double', 'float', 'boolean', 'array', 'map'].includes(keys[0]!)) return (v as Obj)[keys[0]!];
  }
  return v;
}

/** The record as an object, or InvalidEvidence. */
export function asObject(v: unknown): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidEvidence('record is not an object', '');
  return v as Obj;
}

/** First present field among `names`. */
export function pick(o: Obj, ...names: string[]): unknown {
  for (const n of names) {
    const v = unwrap(o[n]);
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

/** A required string field. */
export function str(o: Obj, ...names: string[]): string {
  const v = pick(o, ...names);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw new InvalidEvidence(`missing string field ${names[0]}`, names[0]!);
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

/** A required numeric field. */
export function num(o: Obj, ...names: string[]): number {
  const v = optNum(o, ...names);
  if (v === undefined) throw new InvalidEvidence(`missing numeric field ${names[0]}`, names[0]!);
  return v;
}

/** A list of strings (missing → empty). */
export function strList(o: Obj, ...names: string[]): string[] {
  const v = pick(o, ...names);
  if (!Array.isArray(v)) return [];
  return v.map(unwrap).filter((x): x is string => typeof x === 'string');
}

/** A string map (missing → empty). */
export function strMap(o: Obj, ...names: string[]): Record<string, string> {
  const v = pick(o, ...names);
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v as Obj)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** A numeric map (missing → empty; null values dropped). */
export function numMap(o: Obj, ...names: string[]): Record<string, number> {
  const v = pick(o, ...names);
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  const out: Record<string, number> = {};
  for (const [k, raw] of Object.entries(v as Obj)) {
    const x = unwrap(raw);
    if (typeof x === 'number' && Number.isFinite(x)) out[k] = x;
  }
  return out;
}

/** Event time in ms from a ms field or a µs field. */
export function timeMs(o: Obj, msNames: string[], usNames: string[] = []): number {
  const ms = optNum(o, ...msNames);
  if (ms !== undefined) return ms;
  const us = optNum(o, ...usNames);
  if (us !== undefined) return Math.floor(us / 1000);
  throw new InvalidEvidence(`missing time field ${msNames[0]}`, msNames[0]!);
}

/** A list of nested records (missing → empty; non-objects skipped). */
export function records(o: Obj, ...names: string[]): Obj[] {
  const v = pick(o, ...names);
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is Obj => !!x && typeof x === 'object' && !Array.isArray(x));
}
