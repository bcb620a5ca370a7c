/**
 * Runs a processor under other topic names: integration tests give each run fresh topics,
 * while the processor is written against the catalog names (its evidence adapters, the rules
 * table and the actions topic are looked up by those). Only names change; records, state and
 * timers pass through as they are.
 */
import type { GlobalTables, Processor, ProcessorContext, ProcessResult } from '../../../streams/processors/processor.ts';

/** `names` maps each catalog topic the processor uses to the topic the test created for it. */
export function renamedTopics<S, V>(inner: Processor<S, V>, names: Readonly<Record<string, string>>): Processor<S, V> {
  const toTest = (t: string): string => names[t] ?? t;
  const fromTest = new Map(Object.entries(names).map(([catalog, test]) => [test, catalog]));
  const toCatalog = (t: string): string => fromTest.get(t) ?? t;
  const ctxOf = (ctx: ProcessorContext): ProcessorContext => {
    const globals: GlobalTables = { table: <T>(topic: string) => ctx.globals.table<T>(toTest(topic)) };
    return { ...ctx, globals };
  };
  const out = (r: ProcessResult<S>): ProcessResult<S> => ({ ...r, ...(r.outputs ? { outputs: r.outputs.map((o) => ({ ...o, topic: toTest(o.topic) })) } : {}) });
  return {
    ...inner,
    inputTopics: inner.inputTopics.map(toTest),
    outputTopics: inner.outputTopics.map(toTest),
    ...(inner.globalTopics ? { globalTopics: inner.globalTopics.map(toTest) } : {}),
    eventTimeMs: (v, topic) => inner.eventTimeMs(v, toCatalog(topic)),
    process: (store, record, ctx) => out(inner.process(store, { ...record, topic: toCatalog(record.topic) }, ctxOf(ctx))),
    ...(inner.onTimer ? { onTimer: (store, timer, ctx) => out(inner.onTimer!(store, timer, ctxOf(ctx))) } : {}),
  };
}
