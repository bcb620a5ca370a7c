/**
 * The replay runtime: runs the same processors in-process over records from arrays or
 * JSONL files, with the same per-partition watermarks, timers, late and dead-letter
 * routing as the Kafka runtime (both drive `PartitionTask`). No broker, no clock:
 * `ctx.nowMs` is the partition's largest event time, so a replay is deterministic.
 */
import type { OutputRecord, Processor, ProcessorEvent } from '../../processors/processor.ts';
import { Topics } from '../../topic-catalog.ts';
import { partitionFor } from '../kafka/partitioner.ts';
import { PartitionTask, type SideTopics } from '../state/partition-task.ts';
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
  const session = new ReplaySession(processors, opts);
  for (const rec of records) session.push(rec);
  if (opts.endOfInputMs !== undefined || opts.endOfInputAtMs !== undefined) session.endOfInput();
  return session.result();
}

/**
 * The replay runtime one record at a time: `replay()` over a whole input is a session fed to its end, and a test can
 * push records one by one, read what each produced, and move event time by hand (`advanceTo`), with the same tasks,
 * watermarks, timers, late and dead-letter routing as a whole replay.
 */
export class ReplaySession {
  private readonly side: SideTopics;
  private readonly globals: GlobalTableSet;
  private readonly globalTopics: Set<string>;
  private readonly tasks = new Map<string, PartitionTask<any>>();
  private readonly offsets = new Map<string, number>();
  private readonly queue: ReplayRecord[] = [];
  private readonly acc: ReplayResult = { outputs: {}, late: [], dlq: [], rejectedGlobals: [], events: [], finalState: {} };
  /** What the current step produced (see push/advanceTo). */
  private stepOut: ReplayStep = emptyStep();

  constructor(readonly processors: readonly Processor<any, any>[], private readonly opts: ReplayOptions = {}) {
    this.side = { late: opts.lateTopic ?? Topics.late, dlq: opts.dlqTopic ?? Topics.dlq };
    this.globals = new GlobalTableSet(globalValidatorsOf(processors));
    this.globalTopics = new Set(processors.flatMap((p) => p.globalTopics ?? []));
  }

  private partitionsOf(topic: string): number {
    return this.opts.partitions?.[topic] ?? 1;
  }

  /** The task of a processor on a partition (created on first use, as a worker creates it on assignment). */
  task(p: Processor<any, any>, partition: number): PartitionTask<any> {
    const id = `${p.name}\u0000${partition}`;
    let t = this.tasks.get(id);
    if (!t) {
      t = new PartitionTask(p, partition, this.side, this.globals);
      this.tasks.set(id, t);
    }
    return t;
  }

  /** The latest value per key of a global topic, as the processors see it. */
  globalTable<V = unknown>(topic: string): ReadonlyMap<string, V> {
    return this.globals.table<V>(topic);
  }

  /** Feeds one record and every output it causes downstream; returns what this record produced. */
  push(rec: ReplayRecord): ReplayStep {
    this.stepOut = emptyStep();
    this.queue.push(rec);
    this.run();
    return this.stepOut;
  }

  private run(): void {
    while (this.queue.length > 0) this.step(this.queue.shift()!);
  }

  private step(rec: ReplayRecord): void {
    if (this.globalTopics.has(rec.topic)) {
      const rejected = this.globals.apply(rec.topic, rec.key, rec.value);
      if (rejected) this.acc.rejectedGlobals.push({ topic: rec.topic, key: rec.key, code: rejected.code, message: rejected.message });
    }
    const partition = rec.partition ?? partitionFor(rec.topic, rec.key, this.partitionsOf(rec.topic));
    const offKey = `${rec.topic}\u0000${partition}`;
    const offset = rec.offset ?? String(this.offsets.get(offKey) ?? 0);
    this.offsets.set(offKey, Number(offset) + 1);
    for (const p of this.processors) {
      if (!p.inputTopics.includes(rec.topic)) continue;
      const task = this.task(p, partition);
      const input = { topic: rec.topic, partition, offset, key: rec.key, headers: rec.headers ?? {}, rawKey: Buffer.from(rec.key), rawValue: null };
      // Deterministic "now": the largest event time this partition has seen.
      const nowOf = (): number => (Number.isFinite(task.clock.maxEventTimeMs) ? task.clock.maxEventTimeMs : 0);
      task.handle(input, rec.value, this.opts.nowMs ?? Math.max(nowOf(), safeEventTime(p, rec)));
      this.route(task);
    }
  }

  /** Takes a task's outputs: side outputs into the result, the rest into the result and onto the queue of the stages that read them. */
  private route(task: PartitionTask<any>): void {
    const drained = task.drain();
    for (const event of drained.events) {
      this.acc.events.push({ processor: task.processor.name, event });
      this.stepOut.events.push(event);
    }
    for (const o of drained.outputs) {
      if (o.topic === this.side.late) (this.acc.late.push(o), this.stepOut.late.push(o));
      else if (o.topic === this.side.dlq) (this.acc.dlq.push(o), this.stepOut.dlq.push(o));
      else {
        (this.acc.outputs[o.topic] ??= []).push(o);
        this.stepOut.outputs.push(o);
        if (this.processors.some((q) => q.inputTopics.includes(o.topic)) || this.globalTopics.has(o.topic)) {
          this.queue.push({ topic: o.topic, key: o.key, value: o.value, ...(o.headers ? { headers: o.headers } : {}) });
        }
      }
    }
  }

  /**
   * Moves event time by hand: every task's watermark to at least `watermarkMs`, firing the event-time timers due by then,
   * and the wall-clock timers due at `nowMs` (default `watermarkMs`: a replay has no clock of its own). Stage after stage,
   * as the end-of-input flush. Records may follow; returns what the move produced.
   */
  advanceTo(watermarkMs: number, nowMs = watermarkMs): ReplayStep {
    this.stepOut = emptyStep();
    for (const p of topologicalOrder(this.processors)) {
      for (const t of [...this.tasks.values()].filter((x) => x.processor === p).sort((a, b) => a.partition - b.partition)) {
        t.endOfInput(watermarkMs, nowMs);
        t.fireWallClock(nowMs);
        this.route(t);
        this.run();
      }
    }
    return this.stepOut;
  }

  /**
   * End-of-input flush (ReplayOptions.endOfInputMs / endOfInputAtMs): stage after stage, so a stage's last outputs reach
   * the stages below before those close. Within a stage every partition moves to the next due timer together: one
   * partition closing its last windows first would push a merging stage below past the others' (their records would arrive late).
   */
  endOfInput(): void {
    const opts = this.opts;
    for (const p of topologicalOrder(this.processors)) {
      const own = [...this.tasks.values()].filter((t) => t.processor === p && Number.isFinite(t.clock.maxEventTimeMs)).sort((a, b) => a.partition - b.partition);
      const limitOf = (t: PartitionTask<any>): number => opts.endOfInputAtMs ?? t.clock.maxEventTimeMs + (opts.endOfInputMs ?? 0);
      const flushTo = (t: PartitionTask<any>, untilMs: number): void => {
        t.endOfInput(Math.min(untilMs, limitOf(t)), opts.nowMs ?? t.clock.maxEventTimeMs);
        this.route(t);
        this.run();
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

  /** Everything produced so far, and every task's state. */
  result(): ReplayResult {
    const finalState: ReplayResult['finalState'] = {};
    for (const t of this.tasks.values()) {
      const byPartition = (finalState[t.processor.name] ??= {});
      byPartition[t.partition] = Object.fromEntries(t.data);
    }
    return { ...this.acc, finalState };
  }
}

/** What one push or advance of a ReplaySession produced. */
export interface ReplayStep {
  readonly outputs: OutputRecord[];
  readonly late: OutputRecord[];
  readonly dlq: OutputRecord[];
  readonly events: ProcessorEvent[];
}

const emptyStep = (): ReplayStep => ({ outputs: [], late: [], dlq: [], events: [] });

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
