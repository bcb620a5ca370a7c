/**
 * The worker's batch spans on the real broker: records from two producer batches (two W3C
 * traceparents) are processed under CONSUMER spans that link to both contexts and name the
 * topic, partition, batch size and consumer group; every output carries the traceparent of
 * the batch span that produced it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import { recordSpans } from '../../helpers/tracing.ts';
import { runWorker } from '../../../streams/runtime/kafka/worker.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { countPerKey } from '../../../streams/processors/testing/count-per-key.ts';
import { parseTraceparent } from '../../../streams/runtime/observability/tracing.ts';
import { freshTopics, produceAll, readAll, testAdmin, testProducer, uniqueName, waitForGroupCaughtUp } from '../../helpers/kafka.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

const A = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const B = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('batch spans are CONSUMER spans linked to each producer batch, with messaging attributes; outputs carry the batch span', async (t) => {
  const [input, output, late, dlq] = await freshTopics(t, [{ prefix: 'trace-in' }, { prefix: 'trace-out' }, { prefix: 'trace-late' }, { prefix: 'trace-dlq' }]);
  const catalog = [{ name: input!, schema: 'metric.avsc' }, { name: late!, schema: 'late-record.avsc' }, { name: dlq!, schema: 'dead-letter.avsc' }];
  const serde = createSerde();
  await serde.registerAll(catalog);
  const metric = (i: number) => ({ vehicleId: 'V', name: 'speed', labels: {}, kind: 'GAUGE', timestampMs: 1_700_000_000_000 + i, value: 1, histogram: null, unit: null });
  const records = Array.from({ length: 40 }, (_, i) => ({ key: 'V', value: serde.encodeSync(input!, metric(i)), headers: { traceparent: i < 20 ? A : B } }));
  // Produced before the worker starts, so its first fetch sees both producer batches.
  await produceAll(await testProducer(t), input!, records);

  const exporter = recordSpans(t);

  const app = uniqueName('traceapp');
  const p = countPerKey({ input: input!, output: output! });
  const w = await runWorker({ handleSignals: false, sessionTimeoutMs: 6000, app, processors: [p], catalog, lateTopic: late!, dlqTopic: dlq!, instanceId: 'w1' });
  t.after(() => w.stop());
  await waitForGroupCaughtUp(await testAdmin(t), `${app}-${p.name}`, input!);
  await w.stop();

  const spans = exporter.getFinishedSpans().filter((s) => s.attributes['messaging.destination.name'] === input);
  assert.ok(spans.length > 0, 'batch spans were recorded');
  for (const s of spans) {
    assert.equal(s.kind, SpanKind.CONSUMER);
    assert.equal(s.attributes['messaging.system'], 'kafka');
    assert.equal(s.attributes['messaging.kafka.destination.partition'], 0);
    assert.equal(s.attributes['messaging.consumer.group.name'], `${app}-${p.name}`);
  }
  assert.equal(spans.reduce((a, s) => a + Number(s.attributes['messaging.batch.message_count']), 0), 40, 'the spans count every input record once');
  const linked = new Set(spans.flatMap((s) => s.links.map((l) => `${l.context.traceId}-${l.context.spanId}`)));
  assert.deepEqual([...linked].sort(), [A, B].map((h) => h.slice(3, 52)).sort(), 'links name both producer batches');

  const outs = await readAll(output!);
  assert.equal(outs.length, 40);
  const bySpan = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  for (const o of outs) {
    const sc = parseTraceparent(o.headers.traceparent);
    assert.ok(sc && bySpan.has(sc.spanId), `output ${o.offset} carries a batch span's traceparent (${o.headers.traceparent})`);
  }
});
