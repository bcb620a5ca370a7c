/**
 * What each bundled fault drive must yield, written from the drive manifest (fault kind, onset,
 * affected vehicles) and the worksheets' entry ids — not from the engine's output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DRIVES_DIR } from './drive-pipeline.ts';

export interface DriveExpectation {
  readonly drive: string;
  readonly entryId: string;
  /** Evidence the action must carry (field of `evidence` → predicate over its list). */
  readonly evidence: (ev: Record<string, string[]>) => boolean;
  readonly onsetMs: number;
  readonly affected: string[];
  /** Whether the entry is judged per vehicle (a canary verdict is about a release, fleet-wide). */
  readonly vehicleScope: boolean;
}

type Ev = Record<string, string[]>;
const ENTRY_OF_FAULT: Record<string, { entryId: string; vehicleScope: boolean; evidence: (ev: Ev) => boolean }> = {
  // The timeout cluster next to the drifting bus error rate of the same vehicle.
  'can-timeout': { entryId: 'S-CAN-03', vehicleScope: true, evidence: (ev) => ev.logClusterIds!.length > 0 && ev.driftEvents!.some((d) => d.startsWith('can_bus_error_rate')) },
  // A new BMS log cluster, with sample traces to follow.
  'eeprom-verify-fail': { entryId: 'S-BMS-14', vehicleScope: true, evidence: (ev) => ev.logClusterIds!.length > 0 && ev.traceIds!.length > 0 && ev.keywords!.some((k) => /crc|eeprom|verify/i.test(k)) },
  'harness-reflection': { entryId: 'S-ODS-08', vehicleScope: true, evidence: (ev) => ev.canFeatureWindows!.length > 0 || ev.canClusters!.length > 0 },
  'bootloader-check-fail': { entryId: 'S-FLA-22', vehicleScope: true, evidence: (ev) => ev.canClusters!.length > 0 || ev.canFeatureWindows!.length > 0 },
  'gray-release-latency': { entryId: 'P-REL-05', vehicleScope: false, evidence: (ev) => ev.canaryVerdicts!.length > 0 },
};

interface ManifestDrive { name: string; faults: { kind: string; onsetTimeMs: number; affectedVehicles: string[] }[] }

/** The fault drives of drives/manifest.json with what each must produce. */
export function faultDriveExpectations(): DriveExpectation[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(DRIVES_DIR, 'manifest.json'), 'utf8')) as { drives: ManifestDrive[] };
  return manifest.drives.filter((d) => d.faults.length > 0).map((d) => {
    const f = d.faults[0]!;
    const e = ENTRY_OF_FAULT[f.kind];
    if (!e) throw new Error(`no expected FMEA entry for fault kind ${f.kind}`);
    return { drive: d.name, entryId: e.entryId, vehicleScope: e.vehicleScope, evidence: e.evidence, onsetMs: f.onsetTimeMs, affected: f.affectedVehicles.map((v) => `${d.name}/${v}`) };
  });
}

/** Latest value per action key, as a consumer of the compacted actions topic would hold it. */
export function latestActions<A extends { key: string }>(records: readonly { key: string; value: unknown }[]): A[] {
  const m = new Map<string, A>();
  for (const r of records) if (r.value !== null) m.set(r.key, r.value as A);
  return [...m.values()];
}
