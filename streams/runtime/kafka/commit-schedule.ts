/**
 * When a partition's processed records are committed (commit interval, like Kafka Streams'
 * `commit.interval.ms`). 0, the default, commits every fetched batch: the lowest latency, one
 * transaction per partition batch. A positive interval holds processed batches of a partition and
 * commits them together once the oldest has waited that long: fewer, larger transactions for a
 * latency of up to the interval. Held work is only in memory: an abort or a rebalance drops it with the
 * partition's state, and its records are read again from the last commit.
 */

/** Processed, not yet committed records of one partition. */
export interface HeldWork {
  readonly topic: string;
  /** Offset to commit (next to read). */
  readonly nextOffset: string;
  readonly processed: number;
  /** When the oldest held batch reached the runner (Date.now()). */
  readonly startedMs: number;
  /** Append times of the held input records. */
  readonly timestampsMs: readonly number[];
  /** The partition's lag after the newest held batch. */
  readonly lag: number;
  /** True once the group rebalanced under any held batch: the newest batch's check covers the older ones. */
  readonly stale: () => boolean;
  readonly traceparent: string | undefined;
}

export class CommitSchedule {
  private readonly held = new Map<number, HeldWork>();

  constructor(readonly intervalMs: number) {
    if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new RangeError(`commit interval must be a number of ms ≥ 0, got ${intervalMs}`);
  }

  /** Adds a processed batch; returns everything held for the partition when it is due now, else holds it. */
  add(partition: number, work: HeldWork, nowMs: number): HeldWork | undefined {
    const prev = this.held.get(partition);
    const merged: HeldWork = prev
      ? { ...work, processed: prev.processed + work.processed, startedMs: prev.startedMs, timestampsMs: [...prev.timestampsMs, ...work.timestampsMs] }
      : work;
    if (nowMs - merged.startedMs >= this.intervalMs) {
      this.held.delete(partition);
      return merged;
    }
    this.held.set(partition, merged);
    return undefined;
  }

  /** The partition's held work if its interval has passed (the ticker commits it when no batch comes). */
  due(partition: number, nowMs: number): HeldWork | undefined {
    const h = this.held.get(partition);
    return h && nowMs - h.startedMs >= this.intervalMs ? this.take(partition) : undefined;
  }

  /** Removes and returns the partition's held work (a commit for other reasons takes the offsets along). */
  take(partition: number): HeldWork | undefined {
    const h = this.held.get(partition);
    this.held.delete(partition);
    return h;
  }

  /** Partitions holding work. */
  get partitions(): number[] {
    return [...this.held.keys()];
  }
}
