/**
 * Re-keying through internal repartition topics. A processor that needs a different grouping
 * than the producer's key (fleet-wide clusters, per-service canaries, one FMEA view of all
 * evidence) reads a repartition topic that a stateless router fills. The router wraps each
 * value with its source topic, and `readRepartitioned` unwraps it, so the downstream processor
 * sees exactly the record it would have seen on the source topic — the same code runs with or
 * without the repartition step.
 *
 * A repartition partition mixes records of every upstream partition, and those progress at
 * different speeds (their consumers lag differently). So the router also stamps each record with
 * its upstream partition, that partition's largest event time so far and whether the router still
 * had a backlog there; the downstream clock waits for upstreams with a backlog (the min over them,
 * runtime/time/partition-clock.ts) instead of letting the fastest one make the others late.
 */
import type { InputRecord, Processor, ProcessResult } from './processor.ts';

/** Header naming the upstream partition a repartitioned record came from (`<router>/<partition>`). */
export const UPSTREAM_SOURCE_HEADER = 'fmeaflow-upstream';
/** Header with that upstream partition's largest event time (ms, decimal) when the record was routed. */
export const UPSTREAM_TIME_HEADER = 'fmeaflow-upstream-ms';
/** Header `1` when the router still had a backlog on that partition: the downstream watermark waits for it. */
export const UPSTREAM_BEHIND_HEADER = 'fmeaflow-upstream-behind';

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
    process(_store, record, ctx): ProcessResult<never> {
      const value: Repartitioned<V> = { sourceTopic: record.topic, value: record.value };
      const upstreamMs = Math.max(ctx.maxEventTimeMs ?? record.eventTimeMs, record.eventTimeMs);
      const headers: Record<string, string> = { ...record.headers, [UPSTREAM_SOURCE_HEADER]: `${o.name}/${record.partition}`, [UPSTREAM_TIME_HEADER]: String(upstreamMs) };
      if (ctx.inputBehind) headers[UPSTREAM_BEHIND_HEADER] = '1';
      else delete headers[UPSTREAM_BEHIND_HEADER];
      return { outputs: [{ topic: o.outputTopic, key: o.keyOf(record.value, record.topic, record.key) ?? record.key, value, headers }] };
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
    ...(inner.upstreamIdleMs !== undefined ? { upstreamIdleMs: inner.upstreamIdleMs } : {}),
    eventTimeMs: (env) => inner.eventTimeMs(env.value, env.sourceTopic),
    ...(inner.sourceClock ? { sourceClock: { ...inner.sourceClock, sourceOf: (env: Repartitioned<V>) => inner.sourceClock!.sourceOf(env.value, env.sourceTopic) } } : {}),
    process: (store, record, ctx) => inner.process(store, unwrap(record), ctx),
    ...(inner.onTimer ? { onTimer: inner.onTimer.bind(inner) } : {}),
    ...(inner.storeBucket ? { storeBucket: inner.storeBucket.bind(inner) } : {}),
  };
}

/** The same processor reading only some of its input topics (e.g. metrics but not spans). */
export function restrictInputs<S, V>(inner: Processor<S, V>, inputTopics: readonly string[], name: string, store = name): Processor<S, V> {
  return { ...inner, name, store, inputTopics };
}
