/**
 * The drive manifest: what a recorded drive holds and what its fault should look like.
 * Each drive folder has `drive.json` (one entry); `drives/manifest.json` lists them all.
 *
 * Drive folder layout:
 *   drive.json               this drive's manifest entry
 *   can/<vehicleId>.log      candump -l/-L log form (`(sec.usec) <bus> ID#DATA`), one file per vehicle
 *   metrics.jsonl            Metric records (schemas/metric.avsc), one JSON object per line
 *   spans.jsonl              Span records (schemas/span.avsc)
 *   logs.jsonl               LogRecord records (schemas/log-record.avsc)
 *   releases.jsonl           ReleaseEvent records (schemas/release-event.avsc)
 * Any of these may carry a `.gz` suffix (gzip); readers accept both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, FmeaflowError } from '../../streams/errors.ts';
import type { AppliedFault } from '../sim/fleet-simulator.ts';

/** One vehicle of a drive. */
export interface DriveVehicle {
  vehicleId: string;
  model: string;
  /** candump log of this vehicle, relative to the drive folder. */
  canFile: string;
  frames: number;
}

/** Manifest entry of one drive (`drive.json`). */
export interface DriveManifestEntry {
  name: string;
  description: string;
  /** Drive folder relative to the manifest's folder. */
  path: string;
  scenario: string;
  seed: number;
  baseTimeMs: number;
  baseTime: string;
  durationMs: number;
  bus: string;
  bitrateBps: number;
  vehicles: DriveVehicle[];
  files: { metrics: string; spans: string; logs: string; releases: string };
  counts: { frames: number; metrics: number; spans: number; logs: number; releases: number };
  /** Empty for a clean drive. */
  faults: (AppliedFault & { onsetTime: string })[];
}

/** `drives/manifest.json`. */
export interface DriveManifest {
  version: 1;
  generatedBy: string;
  drives: DriveManifestEntry[];
}

/** Reads `drive.json` of one drive folder. */
export function readDriveEntry(driveDir: string): DriveManifestEntry {
  const p = join(driveDir, 'drive.json');
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as DriveManifestEntry;
  } catch (err) {
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `${p}: not a drive (missing or invalid drive.json): ${(err as Error).message}`, { details: { file: p } });
  }
}

/** Reads `manifest.json` of a drives folder (default `drives/`). */
export function readManifest(drivesDir = 'drives'): DriveManifest {
  const p = join(drivesDir, 'manifest.json');
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as DriveManifest;
  } catch (err) {
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `${p}: cannot read drive manifest: ${(err as Error).message}`, { details: { file: p } });
  }
}
