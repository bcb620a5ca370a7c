/**
 * A tiny deterministic driver for processors in memory (one partition): it feeds
 * records in order, keeps each processor's store, advances the event-time watermark
 * (max event time − allowed lateness), fires due timers in time order, applies global
 * table records when the stream reaches their event time, and chains stages (a
 * stage's outputs feed every later stage that reads their topic). Throws go to `dlq`,
 * records behind the watermark to `late` — as the Kafka runtime would route them.
 * It is what the unit tests and the NAB benchmark run; it is not the runtime.
 */
import { asFmeaflowError, type FmeaflowError } from '../../errors.ts';
import type { OutputRecord, ProcessResult, Processor, ProcessorContext, ProcessorEvent, ReadonlyStore, TimerRequest } from '../processor.ts';

/** A record to feed. */
export interface FeedRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
}

/** A global table record with the event time at which it takes effect. */
export interface GlobalRecord extends FeedRecord {
  readonly eventTimeMs: number;
}

/** What a run produced. */
export interface DriverResult {
  readonly outputs: OutputRecord[];
  readonly dlq: { stage: string; record: FeedRecord; error: FmeaflowError }[];
  readonly late: { stage: string; record: FeedRecord }[];
  /** Events the stages reported (ProcessResult.events), in order, with the stage that reported them. */
  readonly events: { stage: string; event: ProcessorEvent }[];
  /** Final store contents per processor name. */
  readonly stores: Map<string, Map<string, unknown>>;
}

/** Options of a run. */
export interface DriverOptions {
  readonly globals?: readonly GlobalRecord[];
  /** Wall-clock time handed to processors (default: max event time of the input + 1 min). */
  readonly nowMs?: number;
  /** After the input, advance the watermark to this time and fire due timers (default: max event time seen). */
  readonly flushUntilMs?: number;
}

class MemoryStore implements ReadonlyStore<unknown> {
  readonly map = new Map<string, unknown>();
  get(key: string): unknown { return this.map.get(key); }
  entries(): Iterable<readonly [string, unknown]> { return this.map.entries(); }
  get size(): number { return this.map.size; }
}

/** Runs the stages over the records; pure apart from its own memory. */
export function runStages(stages: readonly Processor<any, any>[], input: readonly FeedRecord[], opts: DriverOptions = {}): DriverResult {
  const result: DriverResult = { outputs: [], dlq: [], late: [], events: [], stores: new Map() };
  const globalsSorted = [...(opts.globals ?? [])].sort((a, b) => a.eventTimeMs - b.eventTimeMs);
  let streamIn: FeedRecord[] = [...input];
  let nowMs = opts.nowMs;
  if (nowMs === undefined) {
    let maxT = 0;
    for (const r of input) {
      for (const p of stages) {
        if (!p.inputTopics.includes(r.topic)) continue;
        try { maxT = Math.max(maxT, p.eventTimeMs(r.value, r.topic)); } catch { /* judged later */ }
        break;
      }
    }
    nowMs = maxT + 60_000;
  }
  for (const p of stages) {
    const store = new MemoryStore();
    const tables = new Map<string, Map<string, unknown>>();
    let gi = 0;
    const applyGlobals = (uptoMs: number): void => {
      while (gi < globalsSorted.length && globalsSorted[gi]!.eventTimeMs <= uptoMs) {
        const g = globalsSorted[gi++]!;
        if (!tables.has(g.topic)) tables.set(g.topic, new Map());
        tables.get(g.topic)!.set(g.key, g.value);
      }
    };
    let watermark = Number.NEGATIVE_INFINITY;
    let maxEvent = Number.NEGATIVE_INFINITY;
    const timers = new Map<string, TimerRequest>();
    const ctx = (): ProcessorContext => ({
      partition: 0, watermarkMs: watermark, nowMs: nowMs!,
      globals: { table: <V>(topic: string) => (tables.get(topic) ?? new Map()) as ReadonlyMap<string, V> },
    });
    const produced: OutputRecord[] = [];
    const apply = (r: ProcessResult<unknown>): void => {
      for (const u of r.updates ?? []) (u.value === null ? store.map.delete(u.key) : store.map.set(u.key, u.value));
      for (const id of r.cancelTimers ?? []) timers.delete(id);
      for (const t of r.timers ?? []) if (t.kind === 'event-time') timers.set(t.id, t);
      for (const o of r.outputs ?? []) produced.push(o);
      for (const event of r.events ?? []) result.events.push({ stage: p.name, event });
    };
    const fireDue = (upto: number): void => {
      for (;;) {
        let next: TimerRequest | undefined;
        for (const t of timers.values()) if (t.atMs <= upto && (!next || t.atMs < next.atMs)) next = t;
        if (!next) return;
        timers.delete(next.id);
        applyGlobals(next.atMs);
        if (p.onTimer) {
          try { apply(p.onTimer(store, { ...next, partition: 0 }, ctx())); } catch (e) { result.dlq.push({ stage: p.name, record: { topic: '(timer)', key: next.id, value: next }, error: asFmeaflowError(e) }); }
        }
      }
    };
    for (const rec of streamIn) {
      if (!p.inputTopics.includes(rec.topic)) continue;
      let t: number;
      try { t = p.eventTimeMs(rec.value, rec.topic); } catch (e) { result.dlq.push({ stage: p.name, record: rec, error: asFmeaflowError(e) }); continue; }
      if (t < watermark) { result.late.push({ stage: p.name, record: rec }); continue; }
      applyGlobals(t);
      try {
        apply(p.process(store, { topic: rec.topic, partition: 0, offset: '0', key: rec.key, value: rec.value, eventTimeMs: t, headers: {} }, ctx()));
      } catch (e) {
        result.dlq.push({ stage: p.name, record: rec, error: asFmeaflowError(e) });
        continue;
      }
      if (Number.isFinite(t) && t > maxEvent) {
        maxEvent = t;
        watermark = maxEvent - p.allowedLatenessMs;
        fireDue(watermark);
      }
    }
    const flush = opts.flushUntilMs ?? maxEvent;
    watermark = Math.max(watermark, flush);
    fireDue(watermark);
    result.outputs.push(...produced);
    result.stores.set(p.name, store.map);
    streamIn = [...streamIn, ...produced.map((o) => ({ topic: o.topic, key: o.key, value: o.value }))];
  }
  return result;
}
