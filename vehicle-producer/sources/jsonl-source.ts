/**
 * JSONL files of metrics, spans, logs or release events: one record per line with the
 * fields of the Avro schema. Each line is checked against the schema itself, so a bad
 * line is reported with file, line and the offending field, and skipped.
 */
import { formatFieldPath, type AvroType } from '../../streams/runtime/serde/avro-type.ts';
import { avroTypeOf, eventTimeMs, type RecordKind, type TaggedRecord } from '../schemas.ts';
import { eventTimeProblem } from '../event-time-range.ts';
import { printable } from '../../streams/untrusted-text.ts';
import { MAX_LINE_CHARS, readLines } from './line-reader.ts';
import type { IssueLog } from './source-errors.ts';

/** Fills schema defaults for absent optional fields, so `{"value":1}` need not spell out `"unit":null`. */
function withDefaults(type: AvroType, obj: Record<string, unknown>): Record<string, unknown> {
  const fields = (type as unknown as { fields?: { name: string; defaultValue(): unknown }[] }).fields ?? [];
  const out: Record<string, unknown> = { ...obj };
  for (const f of fields) if (!(f.name in out)) {
    const d = f.defaultValue();
    if (d !== undefined) out[f.name] = d;
  }
  return out;
}

/** Checks one parsed JSON value; returns the normalised record or the first bad field. */
export function validateRecord(kind: RecordKind, value: unknown): { ok: true; record: TaggedRecord } | { ok: false; field: string; reason: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, field: '(root)', reason: 'line is not a JSON object' };
  const type = avroTypeOf(kind);
  const v = withDefaults(type, value as Record<string, unknown>);
  let field = '';
  let reason = '';
  const ok = type.isValid(v, {
    errorHook: (path: string[], val: unknown, t: AvroType) => {
      if (field) return;
      field = formatFieldPath(path);
      reason = `got ${val === undefined ? 'nothing (missing)' : printable(JSON.stringify(val) ?? String(val))}, expected ${t.name ?? t.typeName}`;
    },
  });
  if (!ok) return { ok: false, field, reason };
  const known = new Set(((type as unknown as { fields: { name: string }[] }).fields).map((f) => f.name));
  const extra = Object.keys(v).find((k) => !known.has(k));
  if (extra !== undefined) return { ok: false, field: printable(extra), reason: `unknown field '${printable(extra)}' (not in ${kind} schema)` };
  const record = { kind, value: v } as unknown as TaggedRecord;
  const timeProblem = eventTimeProblem(eventTimeMs(record)) ?? (kind === 'spans' ? eventTimeProblem(Math.floor((v.startTimeUs as number) / 1000)) : null);
  if (timeProblem) return { ok: false, field: kind === 'spans' ? 'endTimeUs' : 'timestampMs', reason: timeProblem };
  return { ok: true, record };
}

/** Streams validated records of one kind from a JSONL file; bad lines go to `issues`. */
export async function* readJsonlFile(file: string, kind: RecordKind, issues: IssueLog): AsyncGenerator<TaggedRecord> {
  for await (const [line, text, overLong] of readLines(file, issues)) {
    if (overLong > 0) {
      issues.add({ file, line, reason: `line of ${overLong} characters is longer than the ${MAX_LINE_CHARS} a record may have; skipped` });
      continue;
    }
    if (text.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // V8's message quotes the input around the error: bounded and escaped by the IssueLog.
      issues.add({ file, line, reason: `not JSON: ${(err as Error).message}` });
      continue;
    }
    const r = validateRecord(kind, parsed);
    if (r.ok) yield r.record;
    else issues.add({ file, line, field: r.field, reason: r.reason });
  }
}

/** Guesses the record kind from a file name (`metrics.jsonl`, `x.spans.jsonl`, …). */
export function kindFromFileName(file: string): RecordKind | undefined {
  const base = file.split('/').pop() ?? file;
  for (const k of ['metrics', 'spans', 'logs', 'releases'] as const) if (base.includes(k)) return k;
  return undefined;
}
