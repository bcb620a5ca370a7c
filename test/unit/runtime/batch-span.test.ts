/**
 * The runtime's batch span as a trace backend sees it: a CONSUMER span with the OTel messaging
 * attributes, linked to every distinct incoming traceparent, and a child of the producer's
 * span only when the whole batch came from one producer batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { recordSpans } from '../../helpers/tracing.ts';
import { MAX_BATCH_LINKS, spanTraceparent, startBatchSpan } from '../../../streams/runtime/observability/tracing.ts';

const tp = (trace: number, span: number): string => `00-${trace.toString(16).padStart(32, '0')}-${span.toString(16).padStart(16, '0')}-01`;

function recorded(t: import('node:test').TestContext): InMemorySpanExporter {
  return recordSpans(t, { linkCountLimit: 1000 });
}

function endAndGet(exporter: InMemorySpanExporter, span: ReturnType<typeof startBatchSpan>): ReadableSpan {
  span.end();
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, 1);
  return spans[0]!;
}

test('a batch from several producer batches is a CONSUMER root span linked to each distinct traceparent, with the messaging attributes', (t) => {
  const exporter = recorded(t);
  // Records 0-2 from producer batch A, 3-4 from B, one without a header, one with a malformed one.
  const headers = [tp(1, 10), tp(1, 10), tp(1, 10), tp(2, 20), tp(2, 20), undefined, 'not-a-traceparent'];
  const s = endAndGet(exporter, startBatchSpan('can-features', 'fmeaflow.can.v1', 3, headers, 'app-can-features'));
  assert.equal(s.kind, SpanKind.CONSUMER);
  assert.deepEqual(s.attributes, {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': 'fmeaflow.can.v1',
    'messaging.destination.partition.id': '3',
    'messaging.kafka.destination.partition': 3,
    'messaging.batch.message_count': 7,
    'messaging.consumer.group.name': 'app-can-features',
    'fmeaflow.processor': 'can-features',
  });
  assert.deepEqual(s.links.map((l) => [l.context.traceId, l.context.spanId]), [[tp(1, 10).slice(3, 35), tp(1, 10).slice(36, 52)], [tp(2, 20).slice(3, 35), tp(2, 20).slice(36, 52)]]);
  assert.ok(s.links.every((l) => l.context.isRemote));
  // Two parents: the batch starts its own trace instead of adopting the first record's.
  assert.equal(s.parentSpanContext, undefined);
  assert.notEqual(s.spanContext().traceId, tp(1, 10).slice(3, 35));
});

test('a batch whose records all carry one traceparent continues that trace (child and link)', (t) => {
  const exporter = recorded(t);
  const span = startBatchSpan('logs', 'fmeaflow.logs.v1', 0, [tp(7, 70), tp(7, 70)], 'g');
  const out = spanTraceparent(span);
  const s = endAndGet(exporter, span);
  assert.equal(s.spanContext().traceId, tp(7, 70).slice(3, 35));
  assert.equal(s.parentSpanContext?.spanId, tp(7, 70).slice(36, 52));
  assert.equal(s.links.length, 1);
  assert.equal(out, `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`, 'outputs carry the batch span');
});

test('links stop at MAX_BATCH_LINKS and the rest are counted', (t) => {
  const exporter = recorded(t);
  const headers = Array.from({ length: MAX_BATCH_LINKS + 5 }, (_, i) => tp(i + 1, i + 1));
  const s = endAndGet(exporter, startBatchSpan('p', 't', 0, headers));
  assert.equal(s.links.length, MAX_BATCH_LINKS);
  assert.equal(s.attributes['fmeaflow.links_dropped'], 5);
  assert.equal(s.attributes['messaging.batch.message_count'], MAX_BATCH_LINKS + 5);
  assert.equal(s.attributes['messaging.consumer.group.name'], undefined, 'no group given, none claimed');
});

test('without an SDK the batch span is a no-op and outputs get no traceparent of their own', () => {
  const span = startBatchSpan('p', 't', 0, [tp(1, 1)]);
  assert.equal(span.isRecording(), false);
  assert.equal(spanTraceparent(span), undefined);
  span.end();
});
