/**
 * Tracing: one span per processed batch, linked to the W3C `traceparent` of its input
 * records, and outputs carrying the batch span's context. The OpenTelemetry SDK is only
 * started when an OTLP endpoint is configured (or asked for); otherwise the API is a
 * no-op and outputs simply inherit their input's `traceparent`.
 */
import { context, trace, TraceFlags, type Link, type Span, type SpanContext } from '@opentelemetry/api';
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

/** Starts the span of one batch, linked to up to 32 distinct input trace contexts. */
export function startBatchSpan(processor: string, topic: string, partition: number, traceparents: Iterable<string | undefined>): Span {
  const links: Link[] = [];
  const seen = new Set<string>();
  let parent: SpanContext | undefined;
  for (const tp of traceparents) {
    const sc = parseTraceparent(tp);
    if (!sc || seen.has(sc.traceId + sc.spanId)) continue;
    seen.add(sc.traceId + sc.spanId);
    parent ??= sc;
    if (links.length < 32) links.push({ context: sc });
  }
  const ctx = parent ? trace.setSpanContext(context.active(), parent) : context.active();
  return trace.getTracer('fmeaflow-runtime').startSpan(`process ${processor}`, { links, attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'messaging.destination.partition.id': String(partition), 'fmeaflow.processor': processor } }, ctx);
}

/** The traceparent outputs of this span should carry, or undefined when tracing is a no-op. */
export function spanTraceparent(span: Span): string | undefined {
  return span.isRecording() ? formatTraceparent(span.spanContext()) : undefined;
}
