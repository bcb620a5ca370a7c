/**
 * Re-keying through internal repartition topics. A processor that needs a different grouping
 * than the producer's key (fleet-wide clusters, per-service canaries, one FMEA view of all
 * evidence) reads a repartition topic that a stateless router fills. The router wraps each
 * value with its source topic, and `readRepartitioned` unwraps it, so the downstream processor
 * sees exactly the record it would have seen on the source topic — the same code runs with or
 * without the repartition step.
 */
import type { InputRecord, Processor, ProcessResult } from './processor.ts';

/** What a repartition topic carries. */
export interface Repartitioned<V = unknown> {
  readonly sourceTopic: string;
  readonly value: V;
}

export interface RouterOptions<V> {
  readonly name: string;
  readonly inputTopics: readonly string[];
  readonly outputTopic: string;
  /** New key; returning undefined drops nothing — the record keeps its old key. */
  keyOf(value: V, topic: string, oldKey: string): string | undefined;
  eventTimeMs(value: V, topic: string): number;
  /** Router lateness: routers hold no windows, so by default nothing is late for them. */
  readonly allowedLatenessMs?: number;
}

/** A stateless processor that forwards every record, re-keyed, to `outputTopic`. */
export function createRouter<V>(o: RouterOptions<V>): Processor<never, V> {
  return {
    name: o.name,
    inputTopics: o.inputTopics,
    outputTopics: [o.outputTopic],
    store: o.name,
    allowedLatenessMs: o.allowedLatenessMs ?? Number.MAX_SAFE_INTEGER,
    eventTimeMs: (value, topic) => o.eventTimeMs(value, topic),
    process(_store, record): ProcessResult<never> {
      const value: Repartitioned<V> = { sourceTopic: record.topic, value: record.value };
      return { outputs: [{ topic: o.outputTopic, key: o.keyOf(record.value, record.topic, record.key) ?? record.key, value, headers: record.headers }] };
    },
  };
}

/** Runs `inner` on a repartition topic, handing it the original topic and value of each record. */
export function readRepartitioned<S, V>(inner: Processor<S, V>, repartitionTopic: string, name = inner.name): Processor<S, Repartitioned<V>> {
  const unwrap = (r: InputRecord<Repartitioned<V>>): InputRecord<V> => ({ ...r, topic: r.value.sourceTopic, value: r.value.value });
  return {
    name,
    inputTopics: [repartitionTopic],
    outputTopics: inner.outputTopics,
    store: inner.store,
    ...(inner.globalTopics ? { globalTopics: inner.globalTopics } : {}),
    ...(inner.globalValidators ? { globalValidators: inner.globalValidators } : {}),
    allowedLatenessMs: inner.allowedLatenessMs,
    eventTimeMs: (env) => inner.eventTimeMs(env.value, env.sourceTopic),
    ...(inner.sourceClock ? { sourceClock: { ...inner.sourceClock, sourceOf: (env: Repartitioned<V>) => inner.sourceClock!.sourceOf(env.value, env.sourceTopic) } } : {}),
    process: (store, record, ctx) => inner.process(store, unwrap(record), ctx),
    ...(inner.onTimer ? { onTimer: inner.onTimer.bind(inner) } : {}),
  };
}

/** The same processor reading only some of its input topics (e.g. metrics but not spans). */
export function restrictInputs<S, V>(inner: Processor<S, V>, inputTopics: readonly string[], name: string, store = name): Processor<S, V> {
  return { ...inner, name, store, inputTopics };
}
