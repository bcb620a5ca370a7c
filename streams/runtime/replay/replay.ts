/**
 * The replay runtime: runs the same processors in-process over records from arrays or
 * JSONL files, with the same per-partition watermarks, timers, late and dead-letter
 * routing as the Kafka runtime (both drive `PartitionTask`). No broker, no clock:
 * `ctx.nowMs` is the partition's largest event time, so a replay is deterministic.
 */
import type { OutputRecord, Processor, ProcessorEvent } from '../../processors/processor.ts';
import { Topics } from '../../topic-catalog.ts';
import { partitionFor } from '../kafka/partitioner.ts';
import { PartitionTask } from '../state/partition-task.ts';
import { GlobalTableSet, globalValidatorsOf } from '../state/global-table-set.ts';

/** One input record for the replay. Without `partition` the key is partitioned like Kafka would. */
export interface ReplayRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
  readonly partition?: number;
  readonly offset?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ReplayOptions {
  /** Partition count per topic, used to place unpartitioned records and chained outputs (default 1). */
  readonly partitions?: Readonly<Record<string, number>>;
  readonly lateTopic?: string;
  readonly dlqTopic?: string;
  /**
   * End-of-input flush: after the last record every task's watermark moves this far (ms of event time)
   * past its largest event time, stage after stage in topology order, so every window the input touched
   * closes and its outputs reach the stages below (see PartitionTask.endOfInput). Absent: no flush, the
   * last windows stay open as they would on a live stream.
   */
  readonly endOfInputMs?: number;
  /** End-of-input flush to this event time instead (absolute: every task's watermark moves to it). */
  readonly endOfInputAtMs?: number;
  /** Fixed processing time handed to processors (default: the partition's largest event time, which keeps a replay deterministic too). */
  readonly nowMs?: number;
}

export interface ReplayResult {
  /** Outputs per topic in production order (late and dead letters excluded). */
  readonly outputs: Record<string, OutputRecord[]>;
  readonly late: OutputRecord[];
  readonly dlq: OutputRecord[];
  /** Global-table records that failed validation and were not applied (the Kafka runtime logs and counts these). */
  readonly rejectedGlobals: { topic: string; key: string; code: string; message: string }[];
  /** Events the processors reported (the Kafka runtime logs and counts these), in order, with the processor's name. */
  readonly events: { processor: string; event: ProcessorEvent }[];
  /** processor name → partition → key → value */
  readonly finalState: Record<string, Record<number, Record<string, unknown>>>;
}

/** Runs processors over records in order; outputs that are another processor's input are fed on. */
export function replay(processors: readonly Processor<any, any>[], records: Iterable<ReplayRecord>, opts: ReplayOptions = {}): ReplayResult {
  const side = { late: opts.lateTopic ?? Topics.late, dlq: opts.dlqTopic ?? Topics.dlq };
  const globals = new GlobalTableSet(globalValidatorsOf(processors));
  const globalTopics = new Set(processors.flatMap((p) => p.globalTopics ?? []));
  const tasks = new Map<string, PartitionTask<any>>();
  const offsets = new Map<string, number>();
  const result: ReplayResult = { outputs: {}, late: [], dlq: [], rejectedGlobals: [], events: [], finalState: {} };
  const partitionsOf = (topic: string): number => opts.partitions?.[topic] ?? 1;

  const taskFor = (p: Processor<any, any>, partition: number): PartitionTask<any> => {
    const id = `${p.name}\u0000${partition}`;
    let t = tasks.get(id);
    if (!t) {
      t = new PartitionTask(p, partition, side, globals);
      tasks.set(id, t);
    }
    return t;
  };

  const queue: ReplayRecord[] = [];
  const feed = (rec: ReplayRecord): void => {
    queue.push(rec);
    while (queue.length > 0) step(queue.shift()!);
  };

  const step = (rec: ReplayRecord): void => {
    if (globalTopics.has(rec.topic)) {
      const rejected = globals.apply(rec.topic, rec.key, rec.value);
      if (rejected) result.rejectedGlobals.push({ topic: rec.topic, key: rec.key, code: rejected.code, message: rejected.message });
    }
    const partition = rec.partition ?? partitionFor(rec.topic, rec.key, partitionsOf(rec.topic));
    const offKey = `${rec.topic}\u0000${partition}`;
    const offset = rec.offset ?? String(offsets.get(offKey) ?? 0);
    offsets.set(offKey, Number(offset) + 1);
    for (const p of processors) {
      if (!p.inputTopics.includes(rec.topic)) continue;
      const task = taskFor(p, partition);
      const input = { topic: rec.topic, partition, offset, key: rec.key, headers: rec.headers ?? {}, rawKey: Buffer.from(rec.key), rawValue: null };
      // Deterministic "now": the largest event time this partition has seen.
      const nowOf = (): number => (Number.isFinite(task.clock.maxEventTimeMs) ? task.clock.maxEventTimeMs : 0);
      task.handle(input, rec.value, opts.nowMs ?? Math.max(nowOf(), safeEventTime(p, rec)));
      route(task);
    }
  };

  /** Takes a task's outputs: side outputs into the result, the rest into the result and onto the queue of the stages that read them. */
  function route(task: PartitionTask<any>): void {
    const drained = task.drain();
    for (const event of drained.events) result.events.push({ processor: task.processor.name, event });
    for (const o of drained.outputs) {
      if (o.topic === side.late) result.late.push(o);
      else if (o.topic === side.dlq) result.dlq.push(o);
      else {
        (result.outputs[o.topic] ??= []).push(o);
        if (processors.some((q) => q.inputTopics.includes(o.topic)) || globalTopics.has(o.topic)) {
          queue.push({ topic: o.topic, key: o.key, value: o.value, ...(o.headers ? { headers: o.headers } : {}) });
        }
      }
    }
  }

  for (const rec of records) feed(rec);

  if (opts.endOfInputMs !== undefined || opts.endOfInputAtMs !== undefined) {
    // Stage after stage, so a stage's last outputs reach the stages below before those close. Within a stage
    // every partition moves to the next due timer together: one partition closing its last windows first
    // would push a merging stage below past the others' (their records would arrive late).
    for (const p of topologicalOrder(processors)) {
      const own = [...tasks.values()].filter((t) => t.processor === p && Number.isFinite(t.clock.maxEventTimeMs)).sort((a, b) => a.partition - b.partition);
      const limitOf = (t: PartitionTask<any>): number => opts.endOfInputAtMs ?? t.clock.maxEventTimeMs + opts.endOfInputMs!;
      const flushTo = (t: PartitionTask<any>, untilMs: number): void => {
        t.endOfInput(Math.min(untilMs, limitOf(t)), opts.nowMs ?? t.clock.maxEventTimeMs);
        route(t);
        while (queue.length > 0) step(queue.shift()!);
      };
      for (;;) {
        let next = Number.POSITIVE_INFINITY;
        for (const t of own) {
          const at = t.timers.nextAtMs('event-time');
          if (at <= limitOf(t) && at < next) next = at;
        }
        if (next === Number.POSITIVE_INFINITY) break;
        for (const t of own) flushTo(t, next);
      }
      for (const t of own) flushTo(t, limitOf(t));
    }
  }

  for (const t of tasks.values()) {
    const byPartition = (result.finalState[t.processor.name] ??= {});
    byPartition[t.partition] = Object.fromEntries(t.data);
  }
  return result;
}

/**
 * Processors ordered so that each comes after every processor whose outputs it reads (as input or as a
 * global table); processors in a cycle keep their given order.
 */
export function topologicalOrder(processors: readonly Processor<any, any>[]): Processor<any, any>[] {
  const feeds = (p: Processor<any, any>, q: Processor<any, any>): boolean =>
    p !== q && p.outputTopics.some((t) => q.inputTopics.includes(t) || (q.globalTopics ?? []).includes(t));
  const out: Processor<any, any>[] = [];
  const state = new Map<Processor<any, any>, 'visiting' | 'done'>();
  const visit = (q: Processor<any, any>): void => {
    if (state.has(q)) return;
    state.set(q, 'visiting');
    for (const p of processors) if (feeds(p, q)) visit(p);
    state.set(q, 'done');
    out.push(q);
  };
  for (const p of processors) visit(p);
  return out;
}

function safeEventTime(p: Processor<any, any>, rec: ReplayRecord): number {
  try {
    const t = p.eventTimeMs(rec.value, rec.topic);
    return Number.isFinite(t) ? t : 0;
  } catch {
    return 0;
  }
}
