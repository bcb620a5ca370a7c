/**
 * What a commit counts: records in per input topic, records out per output topic, DLQ by code, and
 * one latency sample per committed input record; a timer commit counts no input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeMetrics } from '../../../streams/runtime/observability/metrics.ts';
import { logger } from '../../../streams/runtime/observability/logger.ts';
import { recordCommit } from '../../../streams/runtime/kafka/commit-metrics.ts';

const value = async (m: RuntimeMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> => {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (metric?.values as { value: number; labels: Record<string, string>; metricName?: string }[] | undefined)?.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
};

test('a batch commit counts its inputs, outputs by topic, DLQ codes and one latency sample per input', async () => {
  const m = new RuntimeMetrics();
  const drain = { outputs: [{ topic: 'out', key: 'a', value: 1 }, { topic: 'out', key: 'b', value: 2 }, { topic: 'dlq', key: 'c', value: 3 }], changelog: [], late: 1, dlq: [{ code: 'INVALID_RECORD' }], events: [] };
  recordCommit(m, logger('test'), 'p', { topic: 'in', partition: 0, processed: 3, drain, startedMs: 900, input: { timestampsMs: [100, 200, 300], lag: 7 }, stateKeys: 2 }, 1000);
  assert.equal(await value(m, 'fmeaflow_records_in_total', { topic: 'in' }), 3);
  assert.equal(await value(m, 'fmeaflow_records_out_total', { topic: 'out' }), 2);
  assert.equal(await value(m, 'fmeaflow_dlq_total', { code: 'INVALID_RECORD' }), 1);
  assert.equal(await value(m, 'fmeaflow_late_records_total', { processor: 'p' }), 1);
  assert.equal(await value(m, 'fmeaflow_consumer_lag_records', { partition: '0' }), 7);
  const latency = (await m.registry.getMetricsAsJSON()).find((x) => x.name === 'fmeaflow_record_latency_seconds')!.values as { metricName?: string; value: number }[];
  assert.equal(latency.find((v) => v.metricName === 'fmeaflow_record_latency_seconds_count')!.value, 3);
});

test('a timer-only commit counts no input record', async () => {
  const m = new RuntimeMetrics();
  recordCommit(m, logger('test'), 'p', { topic: '', partition: 0, processed: 0, drain: { outputs: [], changelog: [], late: 0, dlq: [], events: [] }, startedMs: 0 }, 1);
  assert.equal(await value(m, 'fmeaflow_records_in_total', {}), undefined);
  assert.equal(await value(m, 'fmeaflow_transactions_committed_total', { processor: 'p' }), 1);
});
