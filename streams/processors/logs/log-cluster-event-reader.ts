/**
 * Reads a decoded fmeaflow.log-clusters.v1 value back into a LogClusterEvent. Values reach
 * the fleet stage through a JSON repartition topic after an Avro decode, so longs may be
 * numbers or bigints and nullable unions may still be wrapped; this is the one place that
 * copes with that, and it rejects (INVALID_RECORD → dead-letter topic) what it cannot read.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { optNum, optStr, records, strList } from '../decoded-fields.ts';
import type { TrendEventType } from './cluster-trends.ts';
import type { ClusterTemplateOut, CorrelatedDriftOut, LogClusterEvent } from './log-cluster-event.ts';

const EVENT_TYPES: readonly TrendEventType[] = ['NEW', 'RATE_UP', 'GONE', 'UPDATE'];

/** Event time of a log-cluster event: the end of its window (when the window's counts were final). */
export function clusterEventTimeMs(value: unknown, topic: string): number {
  const end = value !== null && typeof value === 'object' ? optNum(value as Record<string, unknown>, 'windowEndMs') : undefined;
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
  const clusterId = optStr(v, 'clusterId') ?? fail('clusterId', 'is not a string');
  const eventType = EVENT_TYPES.find((t) => t === optStr(v, 'eventType')) ?? fail('eventType', `is not one of ${EVENT_TYPES.join(', ')}`);
  const windowStartMs = optNum(v, 'windowStartMs') ?? fail('windowStartMs', 'is not a number');
  const windowEndMs = optNum(v, 'windowEndMs') ?? fail('windowEndMs', 'is not a number');
  const count = optNum(v, 'count') ?? fail('count', 'is not a number');
  const templates: ClusterTemplateOut[] = records(v, 'templates').map((t) => ({
    templateId: optStr(t, 'templateId') ?? '',
    template: optStr(t, 'template') ?? '',
    count: optNum(t, 'count') ?? 0,
    mergedTemplateIds: strList(t, 'mergedTemplateIds'),
  }));
  const correlatedDrift: CorrelatedDriftOut[] = records(v, 'correlatedDrift').map((d) => ({
    seriesId: optStr(d, 'seriesId') ?? '',
    name: optStr(d, 'name') ?? '',
    vehicleId: optStr(d, 'vehicleId') ?? null,
    detector: optStr(d, 'detector') ?? 'unknown',
    value: optNum(d, 'value') ?? 0,
    zScore: optNum(d, 'zScore') ?? null,
    windowStartMs: optNum(d, 'windowStartMs') ?? 0,
    windowEndMs: optNum(d, 'windowEndMs') ?? 0,
    matchedBy: optStr(d, 'matchedBy') === 'TRACE' ? 'TRACE' : 'VEHICLE',
  }));
  return {
    eventId: optStr(v, 'eventId') ?? `${clusterId}:${eventType}:${windowStartMs}`,
    clusterId,
    mergedClusterIds: strList(v, 'mergedClusterIds'),
    eventType,
    partition: optNum(v, 'partition') ?? -1,
    windowStartMs,
    windowEndMs,
    templates,
    keywords: strList(v, 'keywords'),
    count,
    baselineCount: optNum(v, 'baselineCount') ?? null,
    ratio: optNum(v, 'ratio') ?? null,
    vehicleCount: optNum(v, 'vehicleCount') ?? 0,
    vehicleCounts: records(v, 'vehicleCounts').map((c) => ({ vehicleId: optStr(c, 'vehicleId') ?? '', count: optNum(c, 'count') ?? 0 })),
    examples: records(v, 'examples').map((e) => ({
      text: optStr(e, 'text') ?? '',
      vehicleId: optStr(e, 'vehicleId') ?? '',
      service: optStr(e, 'service') ?? '',
      traceId: optStr(e, 'traceId') ?? null,
      timestampMs: optNum(e, 'timestampMs') ?? 0,
    })),
    correlatedDrift,
    embeddingVersion: optStr(v, 'embeddingVersion') ?? 'tfidf',
    clusteringMethod: optStr(v, 'clusteringMethod') ?? '',
  };
}
