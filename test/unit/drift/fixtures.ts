/** Seeded data generators shared by the drift tests. */
import seedrandom from 'seedrandom';
import type { SeriesPoint } from '../../../streams/processors/series/series-types.ts';
import type { SpanRecord, MetricRecord } from '../../../streams/processors/series/input-records.ts';
import type { ReleaseEvent } from '../../../streams/processors/suppression/release-table.ts';

/** Standard normal generator (Box-Muller) from a seeded RNG. */
export function gaussian(seed: string): () => number {
  const rng = seedrandom(seed);
  return () => {
    let u = 0;
    while (u === 0) u = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
}

export const T0 = Date.UTC(2026, 10, 24, 8, 0, 0);
export const MIN = 60_000;

/** Series points of one series with the given values, one per minute from T0. */
export function points(values: readonly number[], id = 'x{}@fleet'): SeriesPoint[] {
  return values.map((v, i) => ({ seriesId: id, name: 'x', labels: {}, scope: 'fleet', windowStartMs: T0 + i * MIN, windowEndMs: T0 + (i + 1) * MIN, value: v, sampleCount: 1 }));
}

let spanSeq = 0;
/** A span ending at `endMs` lasting `durMs`. */
export function span(p: { service: string; op: string; endMs: number; durMs: number; error?: boolean; version?: string | null; vehicle?: string }): SpanRecord {
  spanSeq++;
  return {
    vehicleId: p.vehicle ?? 'VIN1', traceId: spanSeq.toString(16).padStart(32, '0'), spanId: spanSeq.toString(16).padStart(16, '0'), parentSpanId: null,
    service: p.service, serviceVersion: p.version === undefined ? '1.0.0' : p.version, name: p.op, kind: 'SERVER',
    startTimeUs: Math.round((p.endMs - p.durMs) * 1000), endTimeUs: Math.round(p.endMs * 1000), status: p.error ? 'ERROR' : 'OK', statusMessage: null, attributes: {},
  };
}

/** A gauge point. */
export function gauge(name: string, tMs: number, value: number, vehicle = 'VIN1', labels: Record<string, string> = {}): MetricRecord {
  return { vehicleId: vehicle, name, labels, kind: 'GAUGE', timestampMs: tMs, value, histogram: null, unit: null };
}

/** A release event. */
export function release(p: Partial<ReleaseEvent> & { releaseId: string; service: string; phase: ReleaseEvent['phase']; timestampMs: number }): ReleaseEvent {
  return { version: '2.0.0', baselineVersion: '1.0.0', trafficPercent: 10, cohort: 'canary', cohortVehicleIds: [], ...p };
}

/** Absolute path of a file given relative to the project root (tests may run from any cwd). */
export function projectFile(rel: string): URL {
  return new URL(`../../../${rel}`, import.meta.url);
}
