/**
 * Reads a drive (or loose candump / JSONL files) as time-ordered streams and merges them
 * into one stream of timed items, without loading whole files into memory.
 */
import { join } from 'node:path';
import { readCandumpFile } from '../sources/candump-source.ts';
import type { CandumpTimeOptions } from '../sources/candump-parser.ts';
import { readJsonlFile } from '../sources/jsonl-source.ts';
import type { IssueLog } from '../sources/source-errors.ts';
import type { CanFrame } from '../can-frame.ts';
import { eventTimeMs, type RecordKind, type TaggedRecord } from '../schemas.ts';
import { readDriveEntry } from './drive-manifest.ts';

/** One item of a replay: a CAN frame of a vehicle or a typed record. */
export type TimedItem = { tUs: number; kind: 'can'; vehicleId: string; frame: CanFrame } | { tUs: number; kind: 'record'; record: TaggedRecord };

/** A replay input. `vehiclePrefix` renames its vehicles, so several drives can play as one fleet. */
export type ReplaySource = (
  | { type: 'candump'; file: string; vehicleId: string; time?: CandumpTimeOptions }
  | { type: 'jsonl'; file: string; kind: RecordKind }
  | { type: 'frames'; frames: AsyncIterable<CanFrame>; vehicleId: string }
) & { vehiclePrefix?: string };

/** The record with its vehicle ids (and a release's cohort) prefixed. */
export function prefixVehicles(r: TaggedRecord, prefix: string): TaggedRecord {
  if (r.kind === 'releases') {
    const ids = (xs: readonly string[]): string[] => xs.map((id) => `${prefix}${id}`);
    const history = r.value.history?.map((h) => ({ ...h, cohortVehicleIds: ids(h.cohortVehicleIds) }));
    return { kind: 'releases', value: { ...r.value, releaseId: `${prefix}${r.value.releaseId}`, cohortVehicleIds: ids(r.value.cohortVehicleIds), ...(history ? { history } : {}) } };
  }
  return { ...r, value: { ...r.value, vehicleId: `${prefix}${r.value.vehicleId}` } } as TaggedRecord;
}

async function* itemsOf(src: ReplaySource, issues: IssueLog): AsyncGenerator<TimedItem> {
  const p = src.vehiclePrefix ?? '';
  if (src.type === 'candump') {
    for await (const frame of readCandumpFile(src.file, issues, src.time)) yield { tUs: frame.timestampUs, kind: 'can', vehicleId: p + src.vehicleId, frame };
  } else if (src.type === 'frames') {
    for await (const frame of src.frames) yield { tUs: frame.timestampUs, kind: 'can', vehicleId: p + src.vehicleId, frame };
  } else {
    for await (const record of readJsonlFile(src.file, src.kind, issues)) yield { tUs: eventTimeMs(record) * 1000, kind: 'record', record: p ? prefixVehicles(record, p) : record };
  }
}

/** Merges time-ordered sources into one time-ordered stream (ties: source order). */
export async function* mergeSources(sources: readonly ReplaySource[], issues: IssueLog): AsyncGenerator<TimedItem> {
  const its = sources.map((s) => itemsOf(s, issues));
  const heads: (TimedItem | null)[] = await Promise.all(its.map(async (it) => (await it.next()).value ?? null));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) if (heads[i] && (best < 0 || heads[i]!.tUs < heads[best]!.tUs)) best = i;
    if (best < 0) return;
    yield heads[best]!;
    heads[best] = (await its[best]!.next()).value ?? null;
  }
}

/** The sources of a drive folder, from its drive.json. */
export function driveSources(driveDir: string, vehiclePrefix?: string): ReplaySource[] {
  const d = readDriveEntry(driveDir);
  const sources: ReplaySource[] = [
    ...d.vehicles.map((v) => ({ type: 'candump' as const, file: join(driveDir, v.canFile), vehicleId: v.vehicleId })),
    { type: 'jsonl', file: join(driveDir, d.files.releases), kind: 'releases' },
    { type: 'jsonl', file: join(driveDir, d.files.metrics), kind: 'metrics' },
    { type: 'jsonl', file: join(driveDir, d.files.spans), kind: 'spans' },
    { type: 'jsonl', file: join(driveDir, d.files.logs), kind: 'logs' },
  ];
  return vehiclePrefix ? sources.map((x) => ({ ...x, vehiclePrefix })) : sources;
}
