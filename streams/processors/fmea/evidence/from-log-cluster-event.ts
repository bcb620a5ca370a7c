/**
 * Adapter for `fmeaflow.log-clusters.v1` (log cluster lifecycle/trend events). Field names
 * follow the issue text (clusterId, eventType NEW/RATE_UP/GONE, keywords, templates,
 * vehicles, trace ids); alternatives are accepted until the schema settles.
 */
import { Topics } from '../../../topic-catalog.ts';
import { asObject, optNum, optStr, records, str, strList, timeMs } from './fields.ts';
import type { EvidenceAdapter, LogClusterEvidence } from './evidence.ts';

function eventTime(o: Record<string, unknown>): number {
  return timeMs(o, ['windowEndMs', 'eventTimeMs', 'timestampMs', 'detectedAtMs', 'lastSeenMs'], ['eventTimeUs', 'timestampUs']);
}

/** Adapter: log cluster event → one LogClusterEvidence. */
export const logClusterAdapter: EvidenceAdapter = {
  topic: Topics.logClusters,
  eventTimeMs: (v) => eventTime(asObject(v)),
  toEvidence(v) {
    const o = asObject(v);
    const clusterId = str(o, 'clusterId', 'id');
    const rawType = (optStr(o, 'eventType', 'type') ?? 'UPDATE').toUpperCase();
    const eventType = (['NEW', 'RATE_UP', 'GONE'].includes(rawType) ? rawType : 'UPDATE') as LogClusterEvidence['eventType'];
    // templates are records {templateId, template, count} in log-cluster-event.avsc; plain strings are accepted too.
    const templates = records(o, 'templates').map((t) => optStr(t, 'template')).filter((x): x is string => x !== undefined);
    templates.push(...strList(o, 'templates'));
    const single = optStr(o, 'template');
    if (single) templates.push(single);
    const examples = records(o, 'examples');
    const rate = optNum(o, 'ratio', 'rateRatio', 'rateFactor');
    const cur = optNum(o, 'rate', 'ratePerMin', 'currentRate');
    const base = optNum(o, 'baselineRate', 'baselineRatePerMin', 'previousRate');
    const rateRatio = rate ?? (cur !== undefined && base !== undefined && base > 0 ? cur / base : undefined);
    const vehicles = strList(o, 'vehicles', 'vehicleIds');
    for (const vc of records(o, 'vehicleCounts')) { const v = optStr(vc, 'vehicleId'); if (v && !vehicles.includes(v)) vehicles.push(v); }
    for (const ex of examples) { const v = optStr(ex, 'vehicleId'); if (v && !vehicles.includes(v)) vehicles.push(v); }
    const traceIds = strList(o, 'traceIds', 'sampleTraceIds');
    for (const ex of examples) { const t = optStr(ex, 'traceId'); if (t && !traceIds.includes(t)) traceIds.push(t); }
    const one = optStr(o, 'vehicleId');
    if (one && !vehicles.includes(one)) vehicles.push(one);
    const model = optStr(o, 'model', 'vehicleModel');
    return [{
      kind: 'logCluster', ref: clusterId, timeMs: eventTime(o), vehicles, traceIds,
      ...(model ? { model } : {}), clusterId, eventType, ...(rateRatio !== undefined ? { rateRatio } : {}),
      keywords: strList(o, 'keywords', 'topKeywords'), templates,
      examples: examples.map((e) => optStr(e, 'text')).filter((x): x is string => x !== undefined),
    }];
  },
};
