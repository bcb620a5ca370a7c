/**
 * Shared reader for drift events and alerts: both name a series (metric name + labels) for
 * one vehicle with a value, z-score and detector. Kept apart from the two topic adapters so
 * each topic's adapter stays a few lines.
 */
import { asObject, optNum, optStr, pick, str, strList, strMap, timeMs } from './fields.ts';
import type { SeriesEvidence } from './evidence.ts';

/** Reads a drift/alert record into SeriesEvidence of the given kind. */
export function readSeriesEvidence(kind: 'drift' | 'alert', v: unknown): SeriesEvidence {
  const o = asObject(v);
  const labels = strMap(o, 'labels', 'seriesLabels');
  const series = str(o, 'name', 'series', 'metric', 'seriesName');
  // drift/alert records carry `scope`: a vehicle id, or 'fleet' for fleet-wide series.
  const scope = optStr(o, 'scope');
  const vehicleId = optStr(o, 'vehicleId') ?? (scope && scope !== 'fleet' ? scope : undefined) ?? labels['vehicleId'] ?? labels['vehicle'];
  const model = optStr(o, 'model', 'vehicleModel') ?? labels['model'];
  const value = optNum(o, 'value', 'observed', 'observedValue');
  const zScore = optNum(o, 'zScore', 'zscore', 'z');
  const detector = optStr(o, 'detector');
  const suppressed = pick(o, 'suppressed') === true;
  const id = optStr(o, 'alertId', 'eventId', 'seriesId', 'id');
  const traceIds = strList(o, 'traceIds', 'sampleTraceIds');
  const tid = optStr(o, 'traceId');
  if (tid) traceIds.push(tid);
  const labelText = Object.keys(labels).sort().map((k) => `${k}="${labels[k]}"`).join(',');
  return {
    kind, ref: id ?? `${series}{${labelText}}`, timeMs: timeMs(o, ['eventTimeMs', 'windowEndMs', 'detectedAtMs', 'timestampMs', 'firedAtMs'], ['timestampUs']),
    vehicles: vehicleId ? [vehicleId] : [], traceIds, ...(model ? { model } : {}), series, labels,
    ...(value !== undefined ? { value } : {}), ...(zScore !== undefined ? { zScore } : {}), ...(detector ? { detector } : {}), suppressed,
  };
}

/** Event time of a drift/alert record. */
export function seriesEventTimeMs(v: unknown): number {
  return timeMs(asObject(v), ['eventTimeMs', 'windowEndMs', 'detectedAtMs', 'timestampMs', 'firedAtMs'], ['timestampUs']);
}

/** The record's lifecycle field (drift `phase`, alert `state`), upper-cased, if any. */
export function lifecycleOf(v: unknown): string | undefined {
  return optStr(asObject(v), 'phase', 'state')?.toUpperCase();
}
