/**
 * Tracing: one CONSUMER span per processed batch, linked to the W3C `traceparent` of its
 * input records, and outputs carrying the batch span's context. The OpenTelemetry SDK is only
 * started when an OTLP endpoint is configured (or asked for); otherwise the API is a
 * no-op and outputs simply inherit their input's `traceparent`.
 */
import { context, SpanKind, trace, TraceFlags, type Attributes, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { logger } from './logger.ts';

const log = logger('tracing');
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a W3C traceparent header; undefined when malformed. */
export function parseTraceparent(h: string | undefined): SpanContext | undefined {
  const m = h ? TRACEPARENT.exec(h.trim()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
}

/** Formats a span context as a W3C traceparent header. */
export function formatTraceparent(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, '0')}`;
}

let sdkStarted: Promise<(() => Promise<void>) | undefined> | undefined;

/** Starts the OTel Node SDK once, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set or `force`; returns a shutdown function. */
export function startTracing(serviceName: string, force = false): Promise<(() => Promise<void>) | undefined> {
  if (!force && !process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return Promise.resolve(undefined);
  sdkStarted ??= (async () => {
    try {
      const { NodeSDK } = await import('@opentelemetry/sdk-node');
      const sdk = new NodeSDK({ serviceName });
      sdk.start();
      log.info('OpenTelemetry SDK started', { endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '(default)' });
      return () => sdk.shutdown();
    } catch (err) {
      log.warn('OpenTelemetry SDK could not start; tracing stays no-op', { err });
      return undefined;
    }
  })();
  return sdkStarted;
}

/** Most links one batch span carries: the SDK's default span link limit, beyond which it drops them anyway. */
export const MAX_BATCH_LINKS = 128;

/**
 * Starts the CONSUMER span of one fetched batch (OTel messaging semantic conventions, operation
 * `process`), linked to each distinct input trace context (up to MAX_BATCH_LINKS; the rest are
 * counted in `fmeaflow.links_dropped`).
 */
export function startBatchSpan(processor: string, topic: string, partition: number, traceparents: Iterable<string | undefined>, consumerGroup?: string): Span {
  const links: Link[] = [];
  const seen = new Set<string>();
  let count = 0;
  let only: SpanContext | undefined;
  for (const tp of traceparents) {
    count++;
    const sc = parseTraceparent(tp);
    if (!sc || seen.has(sc.traceId + sc.spanId)) continue;
    seen.add(sc.traceId + sc.spanId);
    only = seen.size === 1 ? sc : undefined;
    if (links.length < MAX_BATCH_LINKS) links.push({ context: sc });
  }
  // A batch has many parents, so links carry them; only when every record came from one producer
  // batch is that context also the parent, so a single producer → engine hop stays one trace.
  const ctx = only ? trace.setSpanContext(context.active(), only) : context.active();
  const attributes: Attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': topic,
    'messaging.destination.partition.id': String(partition),
    'messaging.kafka.destination.partition': partition,
    'messaging.batch.message_count': count,
    'fmeaflow.processor': processor,
  };
  if (consumerGroup !== undefined) attributes['messaging.consumer.group.name'] = consumerGroup;
  if (seen.size > links.length) attributes['fmeaflow.links_dropped'] = seen.size - links.length;
  return trace.getTracer('fmeaflow-runtime').startSpan(`process ${processor}`, { kind: SpanKind.CONSUMER, root: only === undefined, links, attributes }, ctx);
}

/** The traceparent outputs of this span should carry, or undefined when tracing is a no-op. */
export function spanTraceparent(span: Span): string | undefined {
  return span.isRecording() ? formatTraceparent(span.spanContext()) : undefined;
}
