/**
 * Reads a decoded fmeaflow.log-clusters.v1 value back into a LogClusterEvent. Values reach
 * the fleet stage through a JSON repartition topic after an Avro decode, so longs may be
 * numbers or bigints and nullable unions may still be wrapped; this is the one place that
 * copes with that, and it rejects (INVALID_RECORD → dead-letter topic) what it cannot read.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { TrendEventType } from './cluster-trends.ts';
import type { ClusterTemplateOut, CorrelatedDriftOut, LogClusterEvent } from './log-cluster-event.ts';

const EVENT_TYPES: readonly TrendEventType[] = ['NEW', 'RATE_UP', 'GONE', 'UPDATE'];

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  if (v !== null && typeof v === 'object') {
    for (const k of ['double', 'long', 'int', 'float']) {
      const inner = (v as Record<string, unknown>)[k];
      if (typeof inner === 'number' || typeof inner === 'bigint') return Number(inner);
    }
  }
  return undefined;
}

function optStr(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>)['string'] === 'string') return (v as Record<string, string>)['string']!;
  return null;
}

function arr(v: unknown): readonly Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : [];
}

/** Event time of a log-cluster event: the end of its window (when the window's counts were final). */
export function clusterEventTimeMs(value: unknown, topic: string): number {
  const end = value !== null && typeof value === 'object' ? num((value as Record<string, unknown>)['windowEndMs']) : undefined;
  if (end === undefined) throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `${topic}: log-cluster event without a numeric windowEndMs`, { details: { topic, field: 'windowEndMs' } });
  return end;
}

/** Validates and normalises one decoded log-cluster event. */
export function readLogClusterEvent(value: unknown, where: string): LogClusterEvent {
  const fail = (field: string, why: string): never => {
    throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `${where}: field ${field} ${why}`, { details: { field } });
  };
  if (value === null || typeof value !== 'object') return fail('value', 'is not a LogClusterEvent');
  const v = value as Record<string, unknown>;
  const clusterId = typeof v['clusterId'] === 'string' ? v['clusterId'] : fail('clusterId', 'is not a string');
  const eventType = EVENT_TYPES.find((t) => t === v['eventType']) ?? fail('eventType', `is not one of ${EVENT_TYPES.join(', ')}`);
  const windowStartMs = num(v['windowStartMs']) ?? fail('windowStartMs', 'is not a number');
  const windowEndMs = num(v['windowEndMs']) ?? fail('windowEndMs', 'is not a number');
  const count = num(v['count']) ?? fail('count', 'is not a number');
  const templates: ClusterTemplateOut[] = arr(v['templates']).map((t) => ({
    templateId: typeof t['templateId'] === 'string' ? t['templateId'] : '',
    template: typeof t['template'] === 'string' ? t['template'] : '',
    count: num(t['count']) ?? 0,
    mergedTemplateIds: Array.isArray(t['mergedTemplateIds']) ? t['mergedTemplateIds'].filter((x): x is string => typeof x === 'string') : [],
  }));
  const correlatedDrift: CorrelatedDriftOut[] = arr(v['correlatedDrift']).map((d) => ({
    seriesId: typeof d['seriesId'] === 'string' ? d['seriesId'] : '',
    name: typeof d['name'] === 'string' ? d['name'] : '',
    vehicleId: optStr(d['vehicleId']),
    detector: typeof d['detector'] === 'string' ? d['detector'] : 'unknown',
    value: num(d['value']) ?? 0,
    zScore: num(d['zScore']) ?? null,
    windowStartMs: num(d['windowStartMs']) ?? 0,
    windowEndMs: num(d['windowEndMs']) ?? 0,
    matchedBy: d['matchedBy'] === 'TRACE' ? 'TRACE' : 'VEHICLE',
  }));
  return {
    eventId: typeof v['eventId'] === 'string' ? v['eventId'] : `${clusterId}:${eventType}:${windowStartMs}`,
    clusterId,
    mergedClusterIds: Array.isArray(v['mergedClusterIds']) ? v['mergedClusterIds'].filter((x): x is string => typeof x === 'string') : [],
    eventType,
    partition: num(v['partition']) ?? -1,
    windowStartMs,
    windowEndMs,
    templates,
    keywords: Array.isArray(v['keywords']) ? v['keywords'].filter((x): x is string => typeof x === 'string') : [],
    count,
    baselineCount: num(v['baselineCount']) ?? null,
    ratio: num(v['ratio']) ?? null,
    vehicleCount: num(v['vehicleCount']) ?? 0,
    vehicleCounts: arr(v['vehicleCounts']).map((c) => ({ vehicleId: typeof c['vehicleId'] === 'string' ? c['vehicleId'] : '', count: num(c['count']) ?? 0 })),
    examples: arr(v['examples']).map((e) => ({
      text: typeof e['text'] === 'string' ? e['text'] : '',
      vehicleId: typeof e['vehicleId'] === 'string' ? e['vehicleId'] : '',
      service: typeof e['service'] === 'string' ? e['service'] : '',
      traceId: optStr(e['traceId']),
      timestampMs: num(e['timestampMs']) ?? 0,
    })),
    correlatedDrift,
    embeddingVersion: typeof v['embeddingVersion'] === 'string' ? v['embeddingVersion'] : 'tfidf',
    clusteringMethod: typeof v['clusteringMethod'] === 'string' ? v['clusteringMethod'] : '',
  };
}
