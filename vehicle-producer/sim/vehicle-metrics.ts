/**
 * Metric points of one simulated vehicle per metrics interval, derived from what was
 * actually simulated (so metrics and raw data agree): bus error rate from error events
 * over frames, cumulative frame counter, UDS reply counters, speed and cell temperature
 * gauges, and per-service latency histograms from the server spans of the interval.
 */
import type { MetricRecord, SpanRecord } from '../schemas.ts';
import type { CanTrafficResult } from './can-traffic.ts';
import { stateAt, type VehicleState } from './vehicle-dynamics.ts';
import type { Scenario } from './scenario.ts';

/** Histogram bucket bounds (ms) of service latency. */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000];

function countBefore(sorted: readonly number[], x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Builds the metric points of one vehicle. */
export function simulateMetrics(sc: Scenario, vehicleId: string, states: VehicleState[], can: CanTrafficResult, spans: readonly SpanRecord[]): MetricRecord[] {
  const out: MetricRecord[] = [];
  const step = sc.telemetry.metricsIntervalMs;
  const t0 = sc.baseTimeMs;
  const frameTimes = can.frames.map((f) => f.timestampUs);
  const diagEnds = can.diag.map((d) => ({ t: d.endUs, neg: d.negativeNrc !== null })).sort((a, b) => a.t - b.t);
  const server = spans.filter((s) => s.kind === 'SERVER').sort((a, b) => a.endTimeUs - b.endTimeUs);
  const bus = { bus: sc.bus };
  const point = (name: string, kind: MetricRecord['kind'], ts: number, value: number | null, labels: Record<string, string>, unit: string | null, histogram: MetricRecord['histogram'] = null): void => {
    out.push({ vehicleId, name, labels, kind, timestampMs: ts, value, histogram, unit });
  };
  // Cumulative temporality (OpenTelemetry/Prometheus style): counts grow from the start of the drive.
  const groups = new Map<string, { service: string; version: string; counts: number[]; sum: number; count: number }>();
  let si = 0;
  let pos = 0;
  let neg = 0;
  let di = 0;
  for (let end = t0 + step; end <= t0 + sc.durationMs; end += step) {
    const fromUs = (end - step) * 1000;
    const toUs = end * 1000;
    const frames = countBefore(frameTimes, toUs) - countBefore(frameTimes, fromUs);
    const errors = countBefore(can.errorEventsUs, toUs) - countBefore(can.errorEventsUs, fromUs);
    point('can_bus_error_rate', 'GAUGE', end, frames + errors > 0 ? errors / (frames + errors) : 0, bus, '1');
    point('can_frames_total', 'COUNTER', end, countBefore(frameTimes, toUs), bus, '1');
    while (di < diagEnds.length && diagEnds[di]!.t < toUs) {
      if (diagEnds[di]!.neg) neg++; else pos++;
      di++;
    }
    point('uds_responses_total', 'COUNTER', end, pos, { result: 'positive' }, '1');
    point('uds_responses_total', 'COUNTER', end, neg, { result: 'negative' }, '1');
    const st = stateAt(states, end - t0);
    point('vehicle_speed_kph', 'GAUGE', end, Math.round(st.speedKph * 10) / 10, {}, 'km/h');
    point('bms_cell_temp_max_c', 'GAUGE', end, Math.round(st.cellTempC * 10) / 10, {}, 'Cel');
    while (si < server.length && server[si]!.endTimeUs < toUs) {
      const s = server[si++]!;
      const key = `${s.service}/${s.serviceVersion}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { service: s.service, version: s.serviceVersion ?? '', counts: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0), sum: 0, count: 0 }));
      const v = (s.endTimeUs - s.startTimeUs) / 1000;
      const b = LATENCY_BOUNDS_MS.findIndex((x) => v <= x);
      g.counts[b < 0 ? LATENCY_BOUNDS_MS.length : b]!++;
      g.sum += v;
      g.count++;
    }
    for (const g of [...groups.values()].sort((a, b) => (a.service + a.version).localeCompare(b.service + b.version))) {
      point('service_latency_ms', 'HISTOGRAM', end, null, { service: g.service, version: g.version }, 'ms', { bounds: LATENCY_BOUNDS_MS, counts: [...g.counts], sum: Math.round(g.sum * 1000) / 1000, count: g.count });
    }
  }
  return out;
}
