import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createAlertProcessor } from '../../../streams/processors/alerts/alert-processor.ts';
import type { DriftEvent } from '../../../streams/processors/drift/drift-types.ts';
import { createLogClusterProcessor } from '../../../streams/processors/logs/log-cluster-processor.ts';
import { DEFAULT_TREND_OPTIONS } from '../../../streams/processors/logs/cluster-trends.ts';
import type { Processor, ProcessorEvent } from '../../../streams/processors/processor.ts';
import { parsePolicyFile } from '../../../streams/processors/suppression/policy-file.ts';
import { logger } from '../../../streams/runtime/observability/logger.ts';
import { RuntimeMetrics } from '../../../streams/runtime/observability/metrics.ts';
import { reportProcessorEvents } from '../../../streams/runtime/observability/processor-events.ts';
import { GlobalTableSet } from '../../../streams/runtime/state/global-table-set.ts';
import { PartitionTask } from '../../../streams/runtime/state/partition-task.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { MIN, projectFile, release, T0 } from './fixtures.ts';

/** Feeds records through the runtime's PartitionTask and reports every drained event the way the Kafka runner does after a commit. */
function run(processor: Processor<any, any>, records: { topic: string; key: string; value: unknown; timeMs: number }[], globals = new GlobalTableSet()): RuntimeMetrics {
  const metrics = new RuntimeMetrics();
  const task = new PartitionTask(processor, 0, { late: Topics.late, dlq: Topics.dlq }, globals);
  const events: ProcessorEvent[] = [];
  records.forEach((r, i) => {
    task.handle({ topic: r.topic, partition: 0, offset: String(i), key: r.key, headers: {}, rawKey: null, rawValue: null }, r.value, r.timeMs);
    events.push(...task.drain().events);
  });
  reportProcessorEvents(logger('test'), metrics, processor.name, events);
  return metrics;
}

/** Value of one series of a counter in the /metrics exposition (0 when absent). */
async function sample(m: RuntimeMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const text = await m.registry.metrics();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

function p95Drift(w: number): DriftEvent {
  const seriesId = 'span.latency.p95{operation="plan",service="svc"}@fleet';
  return {
    eventId: `${seriesId}#${w}`, seriesId, name: 'span.latency.p95', labels: { service: 'svc', operation: 'plan' }, scope: 'fleet', detector: 'Z_RULE', phase: w === 0 ? 'ONSET' : 'ONGOING',
    value: 90, baselineMean: 40, baselineStdDev: 5, zScore: 10, chartStatistic: null, chartLimit: null,
    windowStartMs: T0 + w * MIN, windowEndMs: T0 + (w + 1) * MIN, firstWindowStartMs: T0, evidenceWindows: 2, driftWindows: w + 1, windowMs: MIN,
  };
}

test('fmeaflow_alerts_total separates suppressed from fired and resolved alerts, with the suppressing policy as reason', async () => {
  const policies = parsePolicyFile(readFileSync(projectFile('config/suppression-policies.yaml'), 'utf8'), 'config/suppression-policies.yaml');
  const globals = new GlobalTableSet();
  globals.apply(Topics.releases, 'r1', release({ releaseId: 'r1', service: 'svc', phase: 'START', trafficPercent: 10, timestampMs: T0 - MIN }));
  // P95 drift for 8 windows under svc's gray release: pending and firing inside the 5-min hold, firing after it;
  // a later drift event of another series moves the watermark past keep_firing_for, so the alert resolves.
  const drift = Array.from({ length: 8 }, (_, w) => p95Drift(w));
  const later = { ...p95Drift(12), seriesId: 'can_bus_load.mean{}@fleet', name: 'can_bus_load.mean' };
  const m = run(createAlertProcessor({ policies, allowedLatenessMs: 0 }), [...drift, later].map((e) => ({ topic: Topics.drift, key: e.seriesId, value: e, timeMs: e.windowEndMs })), globals);
  const base = { processor: 'alerts', rule: 'span-latency-p95-drift' };
  assert.equal(await sample(m, 'fmeaflow_alerts_total', { ...base, outcome: 'suppressed', reason: 'gray-release-latency-drift' }), 2, 'PENDING and FIRING inside the hold');
  assert.equal(await sample(m, 'fmeaflow_alerts_total', { ...base, outcome: 'fired', reason: 'none' }), 1, 'FIRING once the hold ended');
  assert.equal(await sample(m, 'fmeaflow_alerts_total', { ...base, outcome: 'resolved', reason: 'none' }), 1);
  assert.equal(await sample(m, 'fmeaflow_alerts_total', { ...base, outcome: 'pending' }), 0);
});

test('fmeaflow_log_cluster_events_total counts trend events by type', async () => {
  const processor = createLogClusterProcessor({
    windowMs: MIN, allowedLatenessMs: 0, closeDelayMs: 10_000, driftSource: 'input',
    trends: { ...DEFAULT_TREND_OPTIONS, alpha: 0.5, warmupWindows: 0, minBaselineWindows: 3, rateUpRatio: 3, minCount: 5, goneAfterWindows: 2, goneMinBaseline: 1 },
  });
  // One template at 10 lines per window for four windows, then 50: NEW in window 0, RATE_UP in window 4.
  const lines = [10, 10, 10, 10, 50, 10].flatMap((n, w) => Array.from({ length: n }, (_, i) => {
    const ts = T0 + w * MIN + 1000 + Math.floor((i * 50_000) / n);
    return { topic: Topics.logs, key: 'VIN-1', timeMs: ts, value: { vehicleId: 'VIN-1', service: 'bcm', serviceVersion: null, level: 'WARN', body: `bus voltage ${11000 + i} mV below limit`, timestampMs: ts, traceId: null, spanId: null, attributes: {}, samplingRate: 1 } };
  }));
  const m = run(processor, lines);
  assert.equal(await sample(m, 'fmeaflow_log_cluster_events_total', { processor: 'log-clusters', type: 'NEW' }), 1);
  assert.equal(await sample(m, 'fmeaflow_log_cluster_events_total', { processor: 'log-clusters', type: 'RATE_UP' }), 1);
});
