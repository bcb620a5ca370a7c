/**
 * Producer traces: with an OpenTelemetry SDK registered, every flushed batch is a PRODUCER
 * span and every record on the real broker carries that span's W3C traceparent header, so a
 * consumer (the engine's batch span) continues the trace. Before any SDK is registered the
 * API is a no-op and records carry no header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '../../../streams/runtime/kafka/client.ts';
import { SpanKind } from '@opentelemetry/api';
import { recordSpans } from '../../helpers/tracing.ts';
import { brokers } from '../../../streams/runtime/kafka/connection.ts';
import { parseTraceparent } from '../../../streams/runtime/observability/tracing.ts';
import { replaySources } from '../../../vehicle-producer/publish/replay.ts';
import type { ReplaySource } from '../../../vehicle-producer/drive/drive-reader.ts';
import { uniqueTopics } from './helpers.ts';

const W3C = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

/** Raw records of the topics with their headers, read until `expected` arrived. */
async function readHeaders(topics: string[], expected: number): Promise<{ topic: string; traceparent: string | undefined }[]> {
  const kafka = createKafka('producer-tracing-it', brokers(), 8, true);
  const consumer = kafka.consumer({ groupId: `producer-tracing-${randomBytes(4).toString('hex')}` });
  const out: { topic: string; traceparent: string | undefined }[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ topic, message }) => {
      out.push({ topic, traceparent: message.headers?.traceparent?.toString() });
      if (out.length >= expected) done();
    } });
    await Promise.race([all, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${out.length} of ${expected} records arrived`)), 60_000).unref())]);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

function sources(dir: string): ReplaySource[] {
  const can = join(dir, 'v.log');
  writeFileSync(can, Array.from({ length: 50 }, (_, i) => `(${1_736_150_400 + i / 10}) can0 2A3#1027E803C8190500`).join('\n') + '\n');
  const logs = join(dir, 'logs.jsonl');
  writeFileSync(logs, Array.from({ length: 20 }, (_, i) => JSON.stringify({ vehicleId: 'V', service: 'bms', serviceVersion: '1', level: 'ERROR', body: `e${i}`, timestampMs: 1_736_150_400_000 + i * 100, traceId: null, spanId: null, attributes: {}, samplingRate: 1 })).join('\n') + '\n');
  return [{ type: 'candump', file: can, vehicleId: 'V' }, { type: 'jsonl', file: logs, kind: 'logs' }];
}

test('records carry no traceparent while tracing is off, and a valid W3C traceparent of their produce span when it is on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-producer-tracing-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const off = uniqueTopics('trace-off');
  const r0 = await replaySources(sources(dir), { topics: off });
  const n0 = r0.records.can + r0.records.logs;
  const plain = await readHeaders([off.can, off.logs], n0);
  assert.ok(plain.every((h) => h.traceparent === undefined), 'no SDK: no header');

  const exporter = recordSpans(t);
  const on = uniqueTopics('trace-on');
  const r = await replaySources(sources(dir), { topics: on });
  const n = r.records.can + r.records.logs;
  const got = await readHeaders([on.can, on.logs], n);
  assert.equal(got.length, n);
  const spans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('produce'));
  assert.ok(spans.length > 0, 'produce spans were recorded');
  const bySpanId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  for (const g of got) {
    assert.match(g.traceparent ?? '', W3C, `${g.topic}: traceparent header`);
    const sc = parseTraceparent(g.traceparent)!;
    const span = bySpanId.get(sc.spanId);
    assert.ok(span, `the header names a recorded produce span (${g.traceparent})`);
    assert.equal(span.spanContext().traceId, sc.traceId);
    assert.equal(span.kind, SpanKind.PRODUCER);
    assert.equal(span.attributes['messaging.system'], 'kafka');
  }
  const counted = [...new Set(got.map((g) => g.traceparent))].reduce((a, tp) => a + Number(bySpanId.get(parseTraceparent(tp)!.spanId)!.attributes['messaging.batch.message_count']), 0);
  assert.equal(counted, n, 'each span counts the records that carry its traceparent');
});
