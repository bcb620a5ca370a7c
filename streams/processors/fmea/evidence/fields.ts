/**
 * Defensive field readers for evidence adapters: records come from other teams' schemas,
 * so each read names the field it wanted and accepts the few spellings seen in practice
 * (camelCase alternatives, Avro unions decoded as `{type: value}`).
 */
import { optNum, pick, unwrap } from '../../decoded-fields.ts';
import { InvalidEvidence } from './evidence.ts';

// The lenient readers are shared with other stages; adapters import everything from here.
export { optNum, optStr, pick, records, strList } from '../../decoded-fields.ts';

type Obj = Record<string, unknown>;

/** The record as an object, or InvalidEvidence. */
export function asObject(v: unknown): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InvalidEvidence('record is not an object', '');
  return v as Obj;
}

/** A required string field. */
export function str(o: Obj, ...names: string[]): string {
  const v = pick(o, ...names);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  throw new InvalidEvidence(`missing string field ${names[0]}`, names[0]!);
}

/** A required numeric field. */
export function num(o: Obj, ...names: string[]): number {
  const v = optNum(o, ...names);
  if (v === undefined) throw new InvalidEvidence(`missing numeric field ${names[0]}`, names[0]!);
  return v;
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
