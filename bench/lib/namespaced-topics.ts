/**
 * Runs the unchanged topology on private copies of the catalog topics (`<ns>.<topic>`), so a
 * benchmark on the shared broker neither reads other runs' vehicles nor feeds its own to their
 * engines. The processors keep seeing the catalog names: topics are renamed on the way in
 * (records, event-time extraction, global tables) and on the way out (output records).
 */
import type { Processor, ProcessorContext, ProcessResult } from '../../streams/processors/processor.ts';
import type { TopicSpec } from '../../streams/topic-catalog.ts';
import { TOPIC_SPECS, Topics } from '../../streams/topic-catalog.ts';
import { DEFAULT_TOPICS, type RecordKind } from '../../vehicle-producer/schemas.ts';

/** A namespace's topic names in both directions. */
export interface TopicNamespace {
  readonly ns: string;
  /** Catalog name → private name; other names (repartitions, changelogs) unchanged. */
  out(topic: string): string;
  /** Private name → catalog name. */
  in(topic: string): string;
  /** The catalog's specs under their private names. */
  readonly specs: TopicSpec[];
  /** Producer topic map for `replayDrives({ topics })`. */
  readonly producerTopics: Record<RecordKind | 'can', string>;
}

/** Names every catalog topic `<ns>.<name>`. */
export function topicNamespace(ns: string): TopicNamespace {
  const catalog = new Set(TOPIC_SPECS.map((s) => s.name));
  const prefix = `${ns}.`;
  const out = (t: string): string => (catalog.has(t) ? prefix + t : t);
  const inn = (t: string): string => (t.startsWith(prefix) && catalog.has(t.slice(prefix.length)) ? t.slice(prefix.length) : t);
  const producerTopics = Object.fromEntries(Object.entries(DEFAULT_TOPICS).map(([k, t]) => [k, out(t)])) as Record<RecordKind | 'can', string>;
  return { ns, out, in: inn, specs: TOPIC_SPECS.map((s) => ({ ...s, name: out(s.name) })), producerTopics };
}

function renameOutputs<S>(r: ProcessResult<S>, out: (t: string) => string): ProcessResult<S> {
  return r.outputs && r.outputs.length > 0 ? { ...r, outputs: r.outputs.map((o) => ({ ...o, topic: out(o.topic) })) } : r;
}

/** `p` reading and writing the namespace's topics while its code sees the catalog names. */
export function namespaceProcessor<S, V>(p: Processor<S, V>, n: TopicNamespace): Processor<S, V> {
  // A proxy rather than a spread: the runtime may hand over a context whose fields are getters.
  const ctxOf = (ctx: ProcessorContext): ProcessorContext => {
    const globals = { table: <T>(topic: string) => ctx.globals.table<T>(n.out(topic)) };
    return new Proxy(ctx, { get: (target, key) => (key === 'globals' ? globals : Reflect.get(target, key, target)) });
  };
  return {
    ...p,
    inputTopics: p.inputTopics.map(n.out),
    outputTopics: p.outputTopics.map(n.out),
    ...(p.globalTopics ? { globalTopics: p.globalTopics.map(n.out) } : {}),
    eventTimeMs: (value, topic) => p.eventTimeMs(value, n.in(topic)),
    process: (store, record, ctx) => renameOutputs(p.process(store, { ...record, topic: n.in(record.topic) }, ctxOf(ctx)), n.out),
    ...(p.onTimer ? { onTimer: (store, timer, ctx) => renameOutputs(p.onTimer!.call(p, store, timer, ctxOf(ctx)), n.out) } : {}),
  };
}

/** The namespace's private name of the actions topic (what the benchmark's reader follows). */
export function actionsTopicOf(n: TopicNamespace): string {
  return n.out(Topics.actions);
}
