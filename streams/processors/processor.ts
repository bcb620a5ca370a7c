/**
 * The contract every processor implements. A processor is pure: given a read-only
 * view of its state store and one input record it returns the store updates, the
 * output records and the timers it wants. It never touches Kafka, a clock, the file
 * system or the runtime; the runtime (Kafka or replay) owns all of that, which is why
 * the same processor gives identical results in both.
 */

/** One input record as the runtime hands it to a processor. `value` is already decoded. */
export interface InputRecord<V = unknown> {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset as a decimal string (Kafka offsets exceed 2^53 in long-lived topics). */
  readonly offset: string;
  readonly key: string;
  readonly value: V;
  /** Event time in epoch milliseconds, extracted from the payload by the processor's `eventTimeMs`. */
  readonly eventTimeMs: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** A record a processor wants written. The runtime serialises it with the topic's schema. */
export interface OutputRecord<V = unknown> {
  readonly topic: string;
  readonly key: string;
  /** `null` writes a tombstone (compacted topics). */
  readonly value: V | null;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A keyed write to the processor's own state store; `value: null` deletes the key. */
export interface StoreUpdate<S = unknown> {
  readonly key: string;
  readonly value: S | null;
}

/** Event-time timers fire when the partition watermark passes `atMs`; wall-clock ones on processing time. */
export interface TimerRequest {
  readonly kind: 'event-time' | 'wall-clock';
  /** Timer identity within the partition; re-registering the same id replaces the earlier timer. */
  readonly id: string;
  readonly atMs: number;
  /** Free-form data handed back to `onTimer`. */
  readonly payload?: Readonly<Record<string, unknown>>;
}

/** A timer as delivered back to the processor. */
export interface FiredTimer extends TimerRequest {
  readonly partition: number;
}

/** Read-only view of a processor's store for one partition. */
export interface ReadonlyStore<S> {
  get(key: string): S | undefined;
  /** Iterates all keys of this partition's store (for windows closing on a timer). */
  entries(): Iterable<readonly [string, S]>;
  readonly size: number;
  /**
   * Keys of one bucket (see `Processor.storeBucket`) with their values, found without scanning the store. Stores of
   * drivers that do not index leave it out; callers then scan `entries()`.
   */
  bucket?(name: string): Iterable<readonly [string, S]>;
}

/** Read-only access to global tables (every worker reads the whole topic). */
export interface GlobalTables {
  /** Latest value per key of a global topic, or an empty map when the topic is unknown. */
  table<V = unknown>(topic: string): ReadonlyMap<string, V>;
}

/** What a processor may read besides its state and the record. */
export interface ProcessorContext {
  readonly partition: number;
  /** Current event-time watermark of the partition (max event time seen − allowed lateness; for repartitioned input at most the min over upstream partitions with a backlog). */
  readonly watermarkMs: number;
  /** Largest event time the partition has seen, this record included (the runtimes always set it). */
  readonly maxEventTimeMs?: number;
  /** True when the runtime still had older records waiting on this record's input partition (a backlog). */
  readonly inputBehind?: boolean;
  /** Wall-clock time as provided by the runtime (the replay runtime makes it deterministic). */
  readonly nowMs: number;
  readonly globals: GlobalTables;
}

/**
 * Something worth an operator's attention (e.g. a refused rule set), reported as data: the
 * processor cannot log or count, so the runtime does both once the batch is committed.
 */
export interface ProcessorEvent {
  /** Stable kind, e.g. `fmea.rules.refused`; logs and metrics key on it. */
  readonly kind: string;
  /** `debug` for events that only feed a counter (e.g. one per published alert). */
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Result of handling one record or one timer. Everything optional is treated as empty. */
export interface ProcessResult<S = unknown, O = unknown> {
  readonly updates?: readonly StoreUpdate<S>[];
  readonly outputs?: readonly OutputRecord<O>[];
  readonly timers?: readonly TimerRequest[];
  /** Timer ids to cancel. */
  readonly cancelTimers?: readonly string[];
  readonly events?: readonly ProcessorEvent[];
}

/** Per-source clock-jump check of a processor (see `Processor.sourceClock`). */
export interface SourceClockOptions<V = unknown> {
  /** Source of a record (vehicle id); undefined = not checked. */
  sourceOf(value: V, topic: string): string | undefined;
  /** How far (ms) a record may run ahead of the partition's largest event time before it counts as a jump. */
  readonly maxJumpMs: number;
  /** A jumped source is believed after its records stayed this far (ms) ahead with no other source reporting (default: maxJumpMs). */
  readonly confirmMs?: number;
}

/** A stream processor. S is the per-key store value, V the input value type. */
export interface Processor<S = unknown, V = unknown> {
  /** Unique name; also the consumer group suffix and the store/changelog name prefix. */
  readonly name: string;
  readonly inputTopics: readonly string[];
  readonly outputTopics: readonly string[];
  /** Name of the state store; the changelog is `<app>-<store>-changelog`. */
  readonly store: string;
  /** Global topics this processor reads through `ctx.globals`. */
  readonly globalTopics?: readonly string[];
  /**
   * Extra checks a global record must pass to enter its table (per topic; throw a typed error to reject
   * it and keep the previous value), for rules only the topology knows, such as the service catalog.
   */
  readonly globalValidators?: Readonly<Record<string, (value: unknown) => void>>;
  /** Allowed lateness in ms: records older than the watermark go to the late side output. */
  readonly allowedLatenessMs: number;
  /**
   * The Kafka key a decoded value must have been produced under (e.g. its vehicle id), per input topic; undefined =
   * not checked. A record whose key differs is dead-lettered as RECORD_KEY_MISMATCH before it touches state or event
   * time: state keyed by the id in the value would otherwise let one vehicle's partition carry another's records.
   */
  expectedKey?(value: V, topic: string): string | undefined;
  /** Event time of a decoded input value, in epoch ms. */
  eventTimeMs(value: V, topic: string): number;
  /**
   * Clock of each record's source (e.g. the vehicle): when set, a record far ahead of the partition
   * while other sources keep reporting is dead-lettered as CLOCK_JUMP instead of moving the shared
   * watermark and making every other source late (runtime/time/source-clock.ts).
   */
  readonly sourceClock?: SourceClockOptions<V>;
  /**
   * For inputs fed through a repartition topic: an upstream partition with a backlog that sent nothing for
   * this long (ms of the runtime's now) no longer holds the watermark back (default 60 s; runtime/time/partition-clock.ts).
   */
  readonly upstreamIdleMs?: number;
  /** Bucket of a store key (e.g. the window it belongs to) for `ReadonlyStore.bucket`; undefined = none. Must depend on the key only. */
  storeBucket?(key: string): string | undefined;
  process(store: ReadonlyStore<S>, record: InputRecord<V>, ctx: ProcessorContext): ProcessResult<S>;
  onTimer?(store: ReadonlyStore<S>, timer: FiredTimer, ctx: ProcessorContext): ProcessResult<S>;
}

/** An empty result, for branches that do nothing. */
export const NOTHING: ProcessResult<never> = Object.freeze({});
