/**
 * The vehicle registry as the FMEA evaluation sees it: the global `fmeaflow.vehicles.v1`
 * table (schemas/vehicle.avsc), keyed by vehicle id. Most evidence names only vehicle ids;
 * the registry maps them to their model so the `model` scope can group them, and counts the
 * vehicles of each model, the denominator of a model's observed occurrence.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

/** A record of `fmeaflow.vehicles.v1`. */
export interface VehicleRecord {
  readonly vehicleId: string;
  readonly model: string;
  readonly modelYear?: number | null;
  readonly ecuSoftware?: Readonly<Record<string, string>>;
  readonly source?: string | null;
  readonly updatedAtMs: number;
}

/**
 * Throws INVALID_RECORD (naming the field) when a registry record must not enter the table: an empty
 * model would silently take a registered vehicle out of its model's scope and denominator, and a record
 * filed under another vehicle's key would move that vehicle to this one's model.
 */
export function validateVehicleRecord(value: unknown, key: string): void {
  const r = value as Partial<VehicleRecord> | null;
  const bad = (field: string, message: string): never => {
    throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `vehicle registry record ${JSON.stringify(key)}, field ${field}: ${message}`, { details: { key, field } });
  };
  if (!r || typeof r !== 'object') bad('(record)', 'not a vehicle record');
  if (typeof r!.vehicleId !== 'string' || r!.vehicleId === '') bad('vehicleId', 'empty vehicle id');
  if (r!.vehicleId !== key) bad('vehicleId', `${JSON.stringify(r!.vehicleId)} differs from the record key; the key must be the vehicle id`);
  if (typeof r!.model !== 'string' || r!.model.trim() === '') bad('model', 'empty model');
  if (r!.modelYear !== undefined && r!.modelYear !== null && !(Number.isInteger(r!.modelYear) && r!.modelYear >= 1950 && r!.modelYear <= 2200)) bad('modelYear', `${r!.modelYear} is not a plausible model year`);
}

function modelOfRecord(r: VehicleRecord | undefined): string | undefined {
  return r && typeof r.model === 'string' && r.model !== '' ? r.model : undefined;
}

/**
 * Vehicle → model and vehicles per model over a live global table. The table is mutated in
 * place by the runtime, so the per-model counts are rebuilt when its size changes or when a
 * vehicle being looked up has a model other than the one counted (a re-registered vehicle);
 * a lookup costs O(1) otherwise.
 */
export class ModelIndex {
  private table: ReadonlyMap<string, VehicleRecord> | undefined;
  private size = -1;
  private counted = new Map<string, string>();
  private perModel = new Map<string, number>();
  private sig = '';

  /** Points the index at the table of this call (cheap when it is unchanged). */
  use(table: ReadonlyMap<string, VehicleRecord>): this {
    if (table !== this.table || table.size !== this.size) this.rebuild(table);
    return this;
  }

  /** Model of a vehicle, when the registry lists it. */
  modelOf(vehicleId: string): string | undefined {
    const m = modelOfRecord(this.table?.get(vehicleId));
    if (m !== this.counted.get(vehicleId) && this.table) this.rebuild(this.table);
    return m;
  }

  /** The per-model counts as one string: it changes whenever a model's vehicle count does (a model row's denominator). */
  signature(): string {
    return this.sig;
  }

  /** Registered vehicles of a model (0 when the registry does not know the model). */
  vehiclesOf(model: string): number {
    return this.perModel.get(model) ?? 0;
  }

  private rebuild(table: ReadonlyMap<string, VehicleRecord>): void {
    this.table = table;
    this.size = table.size;
    this.counted = new Map();
    this.perModel = new Map();
    for (const [id, r] of table) {
      const m = modelOfRecord(r);
      if (m === undefined) continue;
      this.counted.set(id, m);
      this.perModel.set(m, (this.perModel.get(m) ?? 0) + 1);
    }
    this.sig = [...this.perModel].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([m, n]) => `${m}=${n}`).join(',');
  }
}
