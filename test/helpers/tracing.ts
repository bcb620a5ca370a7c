/** Test tracing: a global tracer provider that records finished spans in memory, removed after the test. */
import type { TestContext } from 'node:test';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type SpanLimits } from '@opentelemetry/sdk-trace-base';

/** Registers an in-memory span exporter as the global tracer for the rest of test `t`. */
export function recordSpans(t: TestContext, spanLimits?: SpanLimits): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)], ...(spanLimits ? { spanLimits } : {}) });
  trace.setGlobalTracerProvider(provider);
  t.after(async () => {
    trace.disable();
    await provider.shutdown();
  });
  return exporter;
}
