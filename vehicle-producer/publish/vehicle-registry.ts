/**
 * The producer's entries for the vehicle registry (`fmeaflow.vehicles.v1`, schemas/vehicle.avsc):
 * one record per vehicle, written when a replay starts, so the engine can map evidence that names
 * only a vehicle id to the vehicle's model. Only drives know their vehicles' models (drive.json);
 * loose candump/JSONL sources and live capture have none, and then nothing is written.
 */
import { fileURLToPath } from 'node:url';
import type { DriveManifestEntry } from '../drive/drive-manifest.ts';
import { loadAvroSchemaFile, type AvroType } from '../../streams/runtime/serde/avro-type.ts';
import { createSerde } from '../../streams/runtime/serde/serde.ts';
import { frame } from '../../streams/runtime/serde/wire-format.ts';
import { cloneVehicleId } from './fan-out.ts';

/** Schema file of registry records (in `schemas/`). */
export const VEHICLE_SCHEMA_FILE = 'vehicle.avsc';

/** Value of a Vehicle record. */
export interface VehicleRegistration {
  vehicleId: string;
  model: string;
  modelYear: number | null;
  ecuSoftware: Record<string, string>;
  source: string | null;
  updatedAtMs: number;
}

/**
 * Registry entries of a drive's vehicles as a replay names them: with the drive prefix of a
 * multi-drive replay and every fan-out clone (a clone is the same model as its original).
 */
export function driveRegistrations(entry: DriveManifestEntry, opts: { prefix?: string; fanOut?: number; atMs?: number } = {}): VehicleRegistration[] {
  const out: VehicleRegistration[] = [];
  for (const v of entry.vehicles ?? []) {
    if (typeof v.model !== 'string' || v.model === '') continue;
    for (let k = 0; k < (opts.fanOut ?? 1); k++) {
      out.push({ vehicleId: cloneVehicleId(`${opts.prefix ?? ''}${v.vehicleId}`, k), model: v.model, modelYear: null, ecuSoftware: {}, source: `drive:${entry.name}`, updatedAtMs: opts.atMs ?? entry.baseTimeMs });
    }
  }
  return out;
}

let offlineType: AvroType | undefined;

/** Encodes registry records for `topic`: registered with the schema registry, or locally (schema id 0) for dry runs. */
export async function vehicleEncoder(topic: string, o: { registryUrl: string; offline: boolean }): Promise<(v: VehicleRegistration) => Buffer> {
  if (o.offline) {
    offlineType ??= loadAvroSchemaFile(fileURLToPath(new URL(`../../schemas/${VEHICLE_SCHEMA_FILE}`, import.meta.url))).type;
    const t = offlineType;
    return (v) => frame(0, t.toBuffer(v));
  }
  const serde = createSerde({ registryUrl: o.registryUrl, schemasDir: fileURLToPath(new URL('../../schemas', import.meta.url)) });
  await serde.register({ name: topic, schema: VEHICLE_SCHEMA_FILE });
  return (v) => serde.encodeSync(topic, v);
}
