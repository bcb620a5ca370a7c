/**
 * Reads drift events (fmeaflow.drift.v1, schemas/drift-event.avsc: seriesId, name, labels,
 * scope = vehicle id or 'fleet', detector, value, zScore, window start/end) into the small
 * summary log-cluster events carry for correlation. The drift schema is owned elsewhere and still moving, so this
 * adapter is the one place that knows its field names; it accepts the documented
 * names and a few obvious alternatives and rejects a record only when it cannot tell
 * when the drift happened.
 */

/** What a log-cluster event says about a correlated metric drift. */
export interface DriftSummary {
  readonly seriesId: string;
  readonly name: string;
  readonly vehicleId: string | null;
  readonly detector: string;
  readonly value: number;
  readonly zScore: number | null;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly traceIds: readonly string[];
  /** ONSET | ONGOING | RECOVERED | REBASELINED (schemas/drift-event.avsc); null when the record does not say. */
  readonly phase: string | null;
}

/** Phases in which the series is still off its baseline; RECOVERED and REBASELINED events say it no longer is. */
const DRIFTING_PHASES = new Set(['ONSET', 'ONGOING']);

/** True when the summary describes a series that is drifting (records without a phase are taken as drifting). */
export function isDrifting(d: Pick<DriftSummary, 'phase'>): boolean {
  return d.phase === null || DRIFTING_PHASES.has(d.phase);
}

/** Why a correlated drift was attached to a cluster event. */
export type CorrelationReason = 'VEHICLE' | 'TRACE';

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  // avsc may hand unions back wrapped ({ string: "x" }) depending on the reader options.
  if (v !== null && typeof v === 'object') {
    const inner = (v as Record<string, unknown>)['string'];
    if (typeof inner === 'string') return inner;
  }
  return undefined;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object') {
    for (const k of ['double', 'long', 'float', 'int']) {
      const inner = (v as Record<string, unknown>)[k];
      if (typeof inner === 'number') return inner;
    }
  }
  return undefined;
}

/** Converts a decoded drift event; returns undefined when it has no usable time window. */
export function toDriftSummary(value: unknown, key?: string): DriftSummary | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const labels = (v['labels'] !== null && typeof v['labels'] === 'object' ? v['labels'] : {}) as Record<string, unknown>;
  const end = num(v['windowEndMs']) ?? num(v['windowEnd']) ?? num(v['detectedAtMs']) ?? num(v['timestampMs']);
  const start = num(v['windowStartMs']) ?? num(v['windowStart']) ?? end;
  if (start === undefined || end === undefined) return undefined;
  // schemas/drift-event.avsc names the vehicle in `scope` ('fleet' for fleet-wide series).
  const scope = str(v['scope']);
  const vehicleId = str(v['vehicleId']) ?? (scope !== undefined && scope !== 'fleet' ? scope : undefined) ?? str(labels['vehicleId']) ?? str(labels['vehicle']) ?? null;
  const traceIds = [str(v['traceId']), str(labels['traceId']), ...(Array.isArray(v['traceIds']) ? v['traceIds'].map(str) : [])].filter(
    (t): t is string => t !== undefined && t.length > 0,
  );
  return {
    seriesId: str(v['seriesId']) ?? key ?? '',
    name: str(v['name']) ?? str(v['metric']) ?? str(v['seriesId']) ?? '',
    vehicleId,
    detector: str(v['detector']) ?? 'unknown',
    value: num(v['value']) ?? Number.NaN,
    zScore: num(v['zScore']) ?? null,
    windowStartMs: start,
    windowEndMs: end,
    traceIds,
    phase: str(v['phase']) ?? null,
  };
}
