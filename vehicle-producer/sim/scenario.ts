/**
 * Scenario files (`vehicle-producer/scenarios/*.yaml`): the fleet, the drive length, the
 * telemetry cadence and the fault injections with onset and affected vehicle share.
 * Validated with a JSON Schema (ajv) plus per-fault parameter checks; every problem is a
 * SourceLocationError naming the file, the line in the YAML and the field path.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Document } from 'yaml';
import { ErrorCodes, SourceLocationError } from '../../streams/errors.ts';

/** Fault kinds the simulator can inject. */
export const FAULT_KINDS = ['can-timeout', 'eeprom-verify-fail', 'harness-reflection', 'bootloader-check-fail', 'gray-release-latency'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Simulated vehicle models, one DBC each in vehicle-producer/dbc/vehicles. */
export const VEHICLE_MODELS = ['hybrid_hatchback', 'ev_sedan', 'pickup_truck'] as const;
export type VehicleModel = (typeof VEHICLE_MODELS)[number];

/** Parameters of each fault kind with their defaults. */
export const FAULT_DEFAULTS = {
  'can-timeout': { canId: 0x2a3, timeoutMs: 250, dropProbability: 0.6 },
  'eeprom-verify-fail': { service: 'bms', block: 0x1f, periodMs: 3000 },
  'harness-reflection': { errorFramesPerS: 8, dlcMismatchShare: 0.25, collisionsPerS: 5 },
  'bootloader-check-fail': { negativeShare: 0.8, diagIntervalMs: 500 },
  'gray-release-latency': { service: 'bms', version: '2.4.0', baselineVersion: '2.3.1', latencyFactor: 3, releaseId: 'bms-2.4.0-gray' },
} as const satisfies Record<FaultKind, Record<string, number | string>>;

export type FaultParams<K extends FaultKind> = { -readonly [P in keyof (typeof FAULT_DEFAULTS)[K]]: (typeof FAULT_DEFAULTS)[K][P] extends number ? number : string };

/** One fault injection. */
export interface FaultSpec {
  kind: FaultKind;
  onsetMs: number;
  vehicleShare: number;
  params: Record<string, number | string>;
}

/** A validated scenario. */
export interface Scenario {
  name: string;
  description: string;
  file: string;
  seed: number;
  baseTimeMs: number;
  durationMs: number;
  bus: string;
  bitrateBps: number;
  vehicles: { count: number; idPrefix: string; models: VehicleModel[]; messagesPerVehicle: number; minCycleMs: number };
  telemetry: {
    metricsIntervalMs: number;
    traceIntervalMs: number;
    diagIntervalMs: number;
    baselineErrorFramesPerS: number;
    /**
     * Healthy gateways still log the odd supervision timeout: every vehicle misses a short burst of its
     * supervised heartbeat at seeded intervals drawn uniformly from [min, max] seconds. null: never.
     */
    sporadicTimeoutIntervalS: [number, number] | null;
  };
  faults: FaultSpec[];
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'baseTime', 'durationS', 'vehicles'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
    description: { type: 'string' },
    seed: { type: 'integer' },
    baseTime: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$' },
    durationS: { type: 'number', exclusiveMinimum: 0, maximum: 86400 },
    bus: { type: 'string', minLength: 1, maxLength: 15 },
    bitrateBps: { type: 'integer', minimum: 10000, maximum: 8000000 },
    vehicles: {
      type: 'object',
      additionalProperties: false,
      required: ['count'],
      properties: {
        count: { type: 'integer', minimum: 1, maximum: 10000 },
        idPrefix: { type: 'string', minLength: 1 },
        models: { type: 'array', minItems: 1, items: { enum: [...VEHICLE_MODELS] } },
        messagesPerVehicle: { type: 'integer', minimum: 0, maximum: 1000 },
        minCycleMs: { type: 'integer', minimum: 1 },
      },
    },
    telemetry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        metricsIntervalMs: { type: 'integer', minimum: 100 },
        traceIntervalMs: { type: 'integer', minimum: 50 },
        diagIntervalMs: { type: 'integer', minimum: 50 },
        baselineErrorFramesPerS: { type: 'number', minimum: 0 },
        sporadicTimeoutIntervalS: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number', exclusiveMinimum: 0 } },
      },
    },
    faults: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'onsetS'],
        properties: {
          kind: { enum: [...FAULT_KINDS] },
          onsetS: { type: 'number', minimum: 0 },
          vehicleShare: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
          params: { type: 'object' },
        },
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: false });
const validate = ajv.compile(SCHEMA);

function lineOf(doc: Document, lc: LineCounter, path: (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lc.linePos(range[0]).line;
    // a key whose value is null has no value node: find the key itself
    const parent = n > 0 ? (n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true)) : undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === path[n - 1]);
      const kr = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (kr) return lc.linePos(kr[0]).line;
    }
  }
  return 1;
}

function fieldName(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(root)';
}

function pathOf(e: ErrorObject): (string | number)[] {
  const parts = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~')));
  if (e.keyword === 'additionalProperties') parts.push((e.params as { additionalProperty: string }).additionalProperty);
  if (e.keyword === 'required') parts.push((e.params as { missingProperty: string }).missingProperty);
  return parts;
}

function message(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
  if (e.keyword === 'required') return `missing required field '${(e.params as { missingProperty: string }).missingProperty}'`;
  if (e.keyword === 'enum') return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return e.message ?? 'invalid';
}

/** Parses and validates scenario YAML text. */
export function parseScenario(text: string, file: string): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new SourceLocationError(ErrorCodes.BAD_CONFIG, `YAML syntax: ${e.message.split('\n')[0]}`, { file, line: lc.linePos(e.pos[0]).line });
  }
  const raw = doc.toJS() as Record<string, unknown>;
  const fail = (path: (string | number)[], msg: string): never => {
    throw new SourceLocationError(ErrorCodes.BAD_CONFIG, msg, { file, line: lineOf(doc, lc, path), field: fieldName(path) });
  };
  if (!validate(raw)) {
    const e = validate.errors![0]!;
    fail(pathOf(e), message(e));
  }
  const v = (raw.vehicles ?? {}) as Record<string, unknown>;
  const tel = (raw.telemetry ?? {}) as Record<string, unknown>;
  const durationMs = Math.round((raw.durationS as number) * 1000);
  const sporadic = (tel.sporadicTimeoutIntervalS as [number, number] | undefined) ?? null;
  if (sporadic !== null && sporadic[0] > sporadic[1]) fail(['telemetry', 'sporadicTimeoutIntervalS'], `min ${sporadic[0]} s is above max ${sporadic[1]} s`);
  const faults: FaultSpec[] = ((raw.faults ?? []) as Record<string, unknown>[]).map((f, i) => {
    const kind = f.kind as FaultKind;
    const defaults = FAULT_DEFAULTS[kind] as Record<string, number | string>;
    const given = (f.params ?? {}) as Record<string, unknown>;
    const params: Record<string, number | string> = { ...defaults };
    for (const [k, val] of Object.entries(given)) {
      if (!(k in defaults)) fail(['faults', i, 'params', k], `unknown parameter '${k}' for ${kind}; known: ${Object.keys(defaults).join(', ')}`);
      if (typeof val !== typeof defaults[k]) fail(['faults', i, 'params', k], `must be a ${typeof defaults[k]}`);
      params[k] = val as number | string;
    }
    if (kind === 'can-timeout' && (typeof params.canId !== 'number' || params.canId < 0 || params.canId > 0x7ff)) fail(['faults', i, 'params', 'canId'], 'must be a standard CAN id 0-0x7FF');
    for (const k of ['dropProbability', 'negativeShare', 'dlcMismatchShare'] as const) {
      const p = params[k];
      if (typeof p === 'number' && (p < 0 || p > 1)) fail(['faults', i, 'params', k], 'must be between 0 and 1');
    }
    const onsetMs = Math.round((f.onsetS as number) * 1000);
    if (onsetMs >= durationMs) fail(['faults', i, 'onsetS'], `onset ${f.onsetS} s is not before the end of the drive (${raw.durationS} s)`);
    return { kind, onsetMs, vehicleShare: (f.vehicleShare as number | undefined) ?? 0.5, params };
  });
  return {
    name: raw.name as string,
    description: (raw.description as string | undefined) ?? '',
    file,
    seed: (raw.seed as number | undefined) ?? 1,
    baseTimeMs: Date.parse(raw.baseTime as string),
    durationMs,
    bus: (raw.bus as string | undefined) ?? 'main',
    bitrateBps: (raw.bitrateBps as number | undefined) ?? 500_000,
    vehicles: {
      count: v.count as number,
      idPrefix: (v.idPrefix as string | undefined) ?? 'VIN-SIM-',
      models: (v.models as VehicleModel[] | undefined) ?? [...VEHICLE_MODELS],
      messagesPerVehicle: (v.messagesPerVehicle as number | undefined) ?? 6,
      minCycleMs: (v.minCycleMs as number | undefined) ?? 50,
    },
    telemetry: {
      metricsIntervalMs: (tel.metricsIntervalMs as number | undefined) ?? 1000,
      traceIntervalMs: (tel.traceIntervalMs as number | undefined) ?? 1000,
      diagIntervalMs: (tel.diagIntervalMs as number | undefined) ?? 2000,
      baselineErrorFramesPerS: (tel.baselineErrorFramesPerS as number | undefined) ?? 0.05,
      sporadicTimeoutIntervalS: sporadic,
    },
    faults,
  };
}

/** Reads and validates a scenario file. */
export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SourceLocationError(ErrorCodes.BAD_CONFIG, `cannot read scenario: ${(err as Error).message}`, { file, line: 0 });
  }
  return parseScenario(text, file);
}
