/**
 * A series point is one closed event-time window of one series: the unit every later
 * stage (baseline, drift, alerts) consumes. A series is named like a Prometheus metric
 * and identified by name + sorted labels + scope, so the same operation on two vehicles
 * is two series under `vehicle` grouping and one under `fleet` grouping.
 */

/** How raw records are grouped into series: per vehicle, or one series for the whole fleet. */
export type SeriesGrouping = 'vehicle' | 'fleet';

/** Scope value used for fleet-wide series (a vehicle id never equals it by convention). */
export const FLEET_SCOPE = 'fleet';

/** One closed window of one series. */
export interface SeriesPoint {
  /** Canonical identity: see `seriesId`. */
  readonly seriesId: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Vehicle id, or `fleet`. */
  readonly scope: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly value: number;
  /** Number of raw observations behind the value (spans, metric points). */
  readonly sampleCount: number;
}

/** Well-known series names derived from spans. */
export const SpanSeries = {
  p50: 'span.latency.p50',
  p95: 'span.latency.p95',
  p99: 'span.latency.p99',
  errorRate: 'span.error_rate',
} as const;
