/**
 * One processor on one partition: its state store, event-time clock and timers, and the
 * rules for turning an input record into outputs, store changes, late and dead-letter
 * records. Both the Kafka runtime and the replay runtime drive this same class, which
 * is what makes their outputs identical. State, clock and timers all go to the
 * changelog, so a restored task continues exactly where the committed one stopped.
 */
import { asFmeaflowError, ErrorCodes, FmeaflowError, MAX_QUOTED_CHARS, quoteUntrusted } from '../../errors.ts';
import type { FiredTimer, GlobalTables, InputRecord, OutputRecord, ProcessorEvent, ProcessResult, Processor, ProcessorContext, TimerRequest } from '../../processors/processor.ts';
import { UPSTREAM_BEHIND_HEADER, UPSTREAM_SOURCE_HEADER, UPSTREAM_TIME_HEADER } from '../../processors/repartition.ts';
import { PartitionClock, type ClockSnapshot, type Upstream } from '../time/partition-clock.ts';
import { BucketedStore } from './bucketed-store.ts';
import { SourceClock } from '../time/source-clock.ts';
import { TimerQueue } from '../time/timer-queue.ts';
import { deadLetterRecord } from './dead-letter.ts';

/** Changelog keys the runtime reserves (NUL-prefixed, so no processor key collides in practice). */
export const CLOCK_KEY = '\u0000clock';
export const TIMER_PREFIX = '\u0000timer\u0000';

/** An input record plus its raw bytes (kept for the late and dead-letter side outputs). */
export interface TaskInput {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rawKey: Buffer | null;
  readonly rawValue: Buffer | null;
  /** More records were waiting on this input partition after this one's batch (Kafka runtime; the replay never has a backlog). */
  readonly behind?: boolean;
}

/** Where side outputs go. */
export interface SideTopics {
  readonly late: string;
  readonly dlq: string;
}

/** Everything a task produced since the last drain. */
export interface TaskDrain {
  readonly outputs: OutputRecord[];
  /** Store, clock and timer changes, last write per key wins. */
  readonly changelog: { key: string; value: unknown }[];
  readonly late: number;
  readonly dlq: { code: string }[];
  /** Events the processor reported; the runner logs and counts them after the commit. */
  readonly events: ProcessorEvent[];
}

const MAX_TIMER_ROUNDS = 10_000;

/** The upstream partition a record came from when it was routed through a repartition topic. */
function upstreamOf(headers: Readonly<Record<string, string>>, eventTimeMs: number): Upstream | undefined {
  const source = headers[UPSTREAM_SOURCE_HEADER];
  if (source === undefined) return undefined;
  const progressMs = Number(headers[UPSTREAM_TIME_HEADER]);
  return { source, progressMs: Number.isFinite(progressMs) ? progressMs : eventTimeMs, behind: headers[UPSTREAM_BEHIND_HEADER] === '1' };
}

/** State and event-time machinery of one processor on one partition. */
export class PartitionTask<S = unknown> {
  readonly data = new Map<string, S>();
  readonly clock: PartitionClock;
  readonly timers = new TimerQueue();
  private readonly sources: SourceClock | null;
  private readonly store: BucketedStore<S>;
  private outputs: OutputRecord[] = [];
  private dirty = new Map<string, unknown>();
  private lateCount = 0;
  private dlq: { code: string }[] = [];
  private events: ProcessorEvent[] = [];

  constructor(
    readonly processor: Processor<S, any>,
    readonly partition: number,
    private readonly side: SideTopics,
    private readonly globals: GlobalTables,
  ) {
    this.clock = new PartitionClock(processor.allowedLatenessMs, processor.upstreamIdleMs);
    this.sources = processor.sourceClock ? new SourceClock(processor.sourceClock.maxJumpMs, processor.sourceClock.confirmMs) : null;
    this.store = new BucketedStore(this.data, processor.storeBucket?.bind(processor));
  }

  /** Applies one changelog record during restore. */
  restore(key: string, value: unknown): void {
    if (key === CLOCK_KEY) this.clock.restore(value as ClockSnapshot | undefined);
    else if (key.startsWith(TIMER_PREFIX)) {
      const id = key.slice(TIMER_PREFIX.length);
      if (value === null || value === undefined) this.timers.cancel(id);
      else this.timers.set(value as TimerRequest);
    } else if (value === null || value === undefined) this.store.delete(key);
    else this.store.set(key, value as S);
  }

  private ctx(nowMs: number, input?: TaskInput): ProcessorContext {
    return { partition: this.partition, watermarkMs: this.clock.watermarkMs, maxEventTimeMs: this.clock.maxEventTimeMs, nowMs, globals: this.globals, ...(input?.behind ? { inputBehind: true } : {}) };
  }

  /** Handles one decoded input record. */
  handle(input: TaskInput, value: unknown, nowMs: number): void {
    if (this.isKeyMismatch(input, value, nowMs)) return;
    let eventTimeMs: number;
    try {
      eventTimeMs = this.processor.eventTimeMs(value, input.topic);
      if (!Number.isFinite(eventTimeMs)) throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `event time of the record is ${eventTimeMs}, not a number of ms`);
    } catch (err) {
      this.deadLetter(input, asFmeaflowError(err, ErrorCodes.INVALID_RECORD), nowMs);
      return;
    }
    if (this.clock.isLate(eventTimeMs)) {
      this.lateCount++;
      this.outputs.push({
        topic: this.side.late,
        key: input.key,
        value: {
          sourceTopic: input.topic,
          sourcePartition: input.partition,
          sourceOffset: Number(input.offset),
          processor: this.processor.name,
          eventTimeMs,
          watermarkMs: this.clock.watermarkMs,
          rawKey: input.rawKey,
          rawValue: input.rawValue,
        },
        headers: input.headers,
      });
      return;
    }
    if (this.sources && this.isClockJump(input, value, eventTimeMs, nowMs)) return;
    const moved = this.clock.observe(eventTimeMs, nowMs, upstreamOf(input.headers, eventTimeMs));
    if (moved) this.dirty.set(CLOCK_KEY, this.clock.snapshot());
    const record: InputRecord = { topic: input.topic, partition: input.partition, offset: input.offset, key: input.key, value, eventTimeMs, headers: input.headers };
    let result: ProcessResult<S>;
    try {
      result = this.processor.process(this.store, record, this.ctx(nowMs, input));
    } catch (err) {
      // A rejected record (bad value, clock far in the future) must not move event time for the rest.
      this.clock.undoLast();
      if (moved) this.dirty.set(CLOCK_KEY, this.clock.snapshot());
      this.deadLetter(input, asFmeaflowError(err, ErrorCodes.PROCESSOR_FAILED), nowMs, this.processor.name);
      return;
    }
    this.apply(result, input.headers);
    this.fireEventTimers(nowMs);
    this.fireWallClock(nowMs);
  }

  /** Dead-letters the record when its Kafka key is not the one its value must carry (Processor.expectedKey). */
  private isKeyMismatch(input: TaskInput, value: unknown, nowMs: number): boolean {
    if (!this.processor.expectedKey) return false;
    let expected: string | undefined;
    try {
      expected = this.processor.expectedKey(value, input.topic);
    } catch {
      // A value without a readable id is the processor's to reject.
      return false;
    }
    if (expected === undefined || expected === input.key) return false;
    const err = new FmeaflowError(
      ErrorCodes.KEY_MISMATCH,
      `${input.topic}: record key ${quoteUntrusted(input.key)} differs from the value's ${quoteUntrusted(expected)}; records must be keyed by the id their state is kept under`,
      { details: { key: input.key.slice(0, MAX_QUOTED_CHARS), expected: expected.slice(0, MAX_QUOTED_CHARS) } },
    );
    this.deadLetter(input, err, nowMs, this.processor.name);
    return true;
  }

  /** Dead-letters the record when its source's clock jumped ahead of the partition (see SourceClock). */
  private isClockJump(input: TaskInput, value: unknown, eventTimeMs: number, nowMs: number): boolean {
    let source: string | undefined;
    try {
      source = this.processor.sourceClock!.sourceOf(value, input.topic);
    } catch {
      // A value without a readable source is the processor's to reject.
      return false;
    }
    if (source === undefined) return false;
    const v = this.sources!.check(source, eventTimeMs, this.clock.maxEventTimeMs);
    if (!v.jump) return false;
    const err = new FmeaflowError(
      ErrorCodes.CLOCK_JUMP,
      `${source}: event time ${new Date(eventTimeMs).toISOString()} is ${Math.round(v.aheadMs / 1000)} s ahead of the partition (max ${this.processor.sourceClock!.maxJumpMs / 1000} s) while ${v.othersActive} other source(s) still report: its clock jumped, so this record does not move their watermark`,
      { details: { source, eventTimeMs, partitionMaxEventTimeMs: this.clock.maxEventTimeMs, aheadMs: v.aheadMs } },
    );
    this.deadLetter(input, err, nowMs, this.processor.name);
    return true;
  }

  /** Routes a record that could not be decoded or processed to the dead-letter topic. */
  deadLetter(input: TaskInput, err: FmeaflowError, nowMs: number, processor: string | null = null): void {
    this.dlq.push({ code: err.code });
    this.outputs.push({ topic: this.side.dlq, key: input.key, value: deadLetterRecord(input, err, nowMs, processor) });
  }

  private apply(result: ProcessResult<S>, headers: Readonly<Record<string, string>>): void {
    if (result.events) this.events.push(...result.events);
    for (const u of result.updates ?? []) {
      if (u.value === null) this.store.delete(u.key);
      else this.store.set(u.key, u.value);
      this.dirty.set(u.key, u.value);
    }
    const traceparent = headers.traceparent;
    for (const o of result.outputs ?? []) {
      // Outputs inherit the input's trace context unless the processor set its own.
      this.outputs.push(traceparent && !o.headers?.traceparent ? { ...o, headers: { ...o.headers, traceparent } } : o);
    }
    for (const id of result.cancelTimers ?? []) {
      if (this.timers.cancel(id)) this.dirty.set(TIMER_PREFIX + id, null);
    }
    for (const t of result.timers ?? []) {
      this.timers.set(t);
      this.dirty.set(TIMER_PREFIX + t.id, t);
    }
  }

  private fire(kind: TimerRequest['kind'], limitMs: () => number, nowMs: number): void {
    if (!this.processor.onTimer) return;
    for (let round = 0; round < MAX_TIMER_ROUNDS; round++) {
      const due = this.timers.takeDue(kind, limitMs());
      if (due.length === 0) return;
      for (const t of due) {
        this.dirty.set(TIMER_PREFIX + t.id, null);
        const fired: FiredTimer = { ...t, partition: this.partition };
        let result: ProcessResult<S>;
        try {
          result = this.processor.onTimer(this.store, fired, this.ctx(nowMs));
        } catch (err) {
          const e = asFmeaflowError(err, ErrorCodes.PROCESSOR_FAILED);
          this.deadLetter({ topic: `timer:${t.id}`, partition: this.partition, offset: '-1', key: t.id, headers: {}, rawKey: null, rawValue: Buffer.from(JSON.stringify(t)) }, e, nowMs, this.processor.name);
          continue;
        }
        this.apply(result, {});
      }
    }
    throw new FmeaflowError(ErrorCodes.PROCESSOR_FAILED, `${this.processor.name}: timers keep re-registering as already due (${MAX_TIMER_ROUNDS} rounds); a timer must move forward in time`);
  }

  /** Fires event-time timers the watermark has passed. */
  fireEventTimers(nowMs: number): void {
    this.fire('event-time', () => this.clock.watermarkMs, nowMs);
  }

  /** Fires wall-clock timers due at `nowMs` (idle partitions still make progress), and the event-time ones that upstreams going quiet released. */
  fireWallClock(nowMs: number): void {
    this.fire('wall-clock', () => nowMs, nowMs);
    if (this.clock.advance(nowMs)) {
      this.dirty.set(CLOCK_KEY, this.clock.snapshot());
      this.fireEventTimers(nowMs);
    }
  }

  /**
   * End of a finite input (the replay runtime): no record will arrive any more, so the watermark may move
   * past the allowed lateness to `untilMs` at once, firing the event-time timers due by then. The replay
   * calls it with rising `untilMs` over all partitions of a processor together, so closing the last windows
   * of one partition does not race ahead of the others' below.
   */
  endOfInput(untilMs: number, nowMs: number): void {
    if (this.clock.closeInput(untilMs)) this.dirty.set(CLOCK_KEY, this.clock.snapshot());
    this.fireEventTimers(nowMs);
  }

  /** True when there is something to commit. */
  get pending(): boolean {
    return this.outputs.length > 0 || this.dirty.size > 0 || this.events.length > 0;
  }

  /** Takes everything produced since the last drain. */
  drain(): TaskDrain {
    const d: TaskDrain = { outputs: this.outputs, changelog: [...this.dirty].map(([key, value]) => ({ key, value })), late: this.lateCount, dlq: this.dlq, events: this.events };
    this.outputs = [];
    this.dirty = new Map();
    this.lateCount = 0;
    this.dlq = [];
    this.events = [];
    return d;
  }
}
