/**
 * Writes a simulation as a drive folder (layout in drive-manifest.ts) and merges its
 * entry into the drives manifest. Output is byte-for-byte reproducible from the seed:
 * fixed base time, stable record order, gzip without timestamps.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { formatCandumpLog } from '../can-frame.ts';
import type { SimulationResult } from '../sim/fleet-simulator.ts';
import type { DriveManifest, DriveManifestEntry } from './drive-manifest.ts';

/** Options of writing a drive. */
export interface WriteDriveOptions {
  /** gzip every file (`.gz` suffix). Default false. */
  gzip?: boolean;
  /** Manifest to merge the entry into; default `<out>/../manifest.json`; null to skip. */
  manifestPath?: string | null;
}

function put(path: string, text: string, gzip: boolean): string {
  const file = gzip ? `${path}.gz` : path;
  writeFileSync(file, gzip ? gzipSync(Buffer.from(text), { level: 9 }) : text);
  return file;
}

function jsonl(xs: readonly unknown[]): string {
  let s = '';
  for (const x of xs) s += JSON.stringify(x) + '\n';
  return s;
}

/** Writes the drive folder and returns its manifest entry. */
export function writeDrive(sim: SimulationResult, outDir: string, opts: WriteDriveOptions = {}): DriveManifestEntry {
  const gz = opts.gzip ?? false;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'can'), { recursive: true });
  const sc = sim.scenario;
  const vehicles = sim.vehicles.map((v) => {
    const frames = sim.frames.get(v.vehicleId) ?? [];
    let text = '';
    for (const f of frames) text += formatCandumpLog(f) + '\n';
    const file = put(join(outDir, 'can', `${v.vehicleId}.log`), text, gz);
    return { vehicleId: v.vehicleId, model: v.model, canFile: relative(outDir, file), frames: frames.length };
  });
  const rel = (p: string): string => relative(outDir, p);
  const files = {
    metrics: rel(put(join(outDir, 'metrics.jsonl'), jsonl(sim.metrics), gz)),
    spans: rel(put(join(outDir, 'spans.jsonl'), jsonl(sim.spans), gz)),
    logs: rel(put(join(outDir, 'logs.jsonl'), jsonl(sim.logs), gz)),
    releases: rel(put(join(outDir, 'releases.jsonl'), jsonl(sim.releases), gz)),
  };
  const manifestPath = opts.manifestPath === undefined ? join(dirname(outDir), 'manifest.json') : opts.manifestPath;
  const entry: DriveManifestEntry = {
    name: basename(outDir),
    description: sc.description,
    path: manifestPath ? relative(dirname(manifestPath), outDir) : basename(outDir),
    scenario: sc.file,
    seed: sc.seed,
    baseTimeMs: sc.baseTimeMs,
    baseTime: new Date(sc.baseTimeMs).toISOString(),
    durationMs: sc.durationMs,
    bus: sc.bus,
    bitrateBps: sc.bitrateBps,
    vehicles,
    files,
    counts: { frames: vehicles.reduce((a, v) => a + v.frames, 0), metrics: sim.metrics.length, spans: sim.spans.length, logs: sim.logs.length, releases: sim.releases.length },
    faults: sim.faults.map((f) => ({ ...f, onsetTime: new Date(f.onsetTimeMs).toISOString() })),
  };
  writeFileSync(join(outDir, 'drive.json'), JSON.stringify(entry, null, 2) + '\n');
  if (manifestPath) {
    const m: DriveManifest = existsSync(manifestPath)
      ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as DriveManifest)
      : { version: 1, generatedBy: 'npx tsx streams/cli.ts simulate --scenario <file> --out <drives/name>', drives: [] };
    m.drives = [...m.drives.filter((d) => d.name !== entry.name), entry].sort((a, b) => a.name.localeCompare(b.name));
    writeFileSync(manifestPath, JSON.stringify(m, null, 2) + '\n');
  }
  return entry;
}
