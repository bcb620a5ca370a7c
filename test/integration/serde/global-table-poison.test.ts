/**
 * A global-table record that does not decode (the mutated release event of issue 14: 2^26 cohort ids in 24 bytes)
 * leaves the table's previous value for its key in place, counts the rejection by code and does not stop the reader:
 * the next good record is applied. Before bounded decoding the reader's process died of heap exhaustion.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import client from 'prom-client';
import { GlobalTableReader } from '../../../streams/runtime/kafka/global-table-reader.ts';
import { TopicCodec } from '../../../streams/runtime/kafka/topic-codec.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { frame } from '../../../streams/runtime/serde/wire-format.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { freshTopics, testKafka, testProducer, waitFor } from '../../helpers/kafka.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'silent';

const release = (traffic: number) => ({
  releaseId: 'r1', service: 'gateway', version: '2.0.0', baselineVersion: '1.9.0', phase: 'RAMP', trafficPercent: traffic, cohort: 'canary', cohortVehicleIds: [], timestampMs: 1_700_000_000_000 + traffic, history: [],
});

test('a poison release event keeps the previous value, is counted by code, and the next good one is applied', async (t) => {
  const [topic] = await freshTopics(t, [{ prefix: 'gt-poison', compact: true }]);
  const serde = createSerde();
  const id = await serde.register({ name: topic!, schema: 'release-event.avsc' });
  const producer = await testProducer(t);
  await producer.send({ topic: topic!, messages: [
    { key: 'r1', value: serde.encodeSync(topic!, release(10)) },
    { key: 'r1', value: frame(id, Buffer.from('027202730276000000000000000000000263808080400000', 'hex')) },
  ] });

  const registry = new client.Registry();
  const reader = new GlobalTableReader(testKafka(), new TopicCodec(serde), [topic!], registry);
  t.after(() => reader.stop());
  await reader.start(60_000);
  assert.equal((reader.tables.table<{ trafficPercent: number }>(topic!).get('r1'))?.trafficPercent, 10, 'the previous value stays');
  const rejected = (await registry.getSingleMetric('fmeaflow_global_records_rejected_total')!.get()).values;
  assert.deepEqual(rejected.map((v) => [v.labels.topic, v.labels.code, v.value]), [[topic, ErrorCodes.BLOCK_COUNT_EXCEEDED, 1]]);

  await producer.send({ topic: topic!, messages: [{ key: 'r1', value: serde.encodeSync(topic!, release(50)) }] });
  await waitFor(() => reader.tables.table<{ trafficPercent: number }>(topic!).get('r1')?.trafficPercent === 50, { what: 'the next good release applied' });
});
