/**
 * JSONL input and output for the replay runtime: one record per line,
 * `{"topic":…,"key":…,"value":…,"partition"?:…,"headers"?:…}`, bytes as `{"$bytes":"…"}`.
 * A malformed line is reported with file and line, never skipped silently.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { ErrorCodes, SourceLocationError } from '../../errors.ts';
import type { OutputRecord } from '../../processors/processor.ts';
import { parseJsonWithBytes, stringifyWithBytes } from '../serde/json-bytes.ts';
import type { ReplayRecord } from './replay.ts';

/** Reads replay records from a JSONL file; `defaultTopic` applies to lines without `topic`. */
export function readJsonlRecords(file: string, defaultTopic?: string): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: Record<string, unknown>;
    try {
      rec = parseJsonWithBytes(line) as Record<string, unknown>;
    } catch (err) {
      throw new SourceLocationError(ErrorCodes.PARSE_ERROR, `not valid JSON: ${(err as Error).message}`, { file, line: i + 1 });
    }
    const topic = (rec.topic as string | undefined) ?? defaultTopic;
    if (typeof topic !== 'string') throw new SourceLocationError(ErrorCodes.INVALID_RECORD, 'record has no "topic" (and no default topic was given)', { file, line: i + 1, field: 'topic' });
    if (typeof rec.key !== 'string') throw new SourceLocationError(ErrorCodes.INVALID_RECORD, '"key" must be a string', { file, line: i + 1, field: 'key' });
    if (!('value' in rec)) throw new SourceLocationError(ErrorCodes.INVALID_RECORD, 'record has no "value"', { file, line: i + 1, field: 'value' });
    out.push({
      topic,
      key: rec.key,
      value: rec.value,
      ...(typeof rec.partition === 'number' ? { partition: rec.partition } : {}),
      ...(rec.headers && typeof rec.headers === 'object' ? { headers: rec.headers as Record<string, string> } : {}),
    });
  });
  return out;
}

/** Writes output records as JSONL. */
export function writeJsonlRecords(file: string, records: readonly OutputRecord[]): void {
  writeFileSync(file, records.map((r) => stringifyWithBytes({ topic: r.topic, key: r.key, value: r.value, ...(r.headers ? { headers: r.headers } : {}) })).join('\n') + (records.length ? '\n' : ''));
}
