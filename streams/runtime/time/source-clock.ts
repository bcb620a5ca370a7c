/**
 * Per-source clock-jump check of one partition. Many vehicles share a partition and so one
 * watermark: a single vehicle whose clock jumps forward (a bad RTC sync, a time-zone slip)
 * would push the watermark past everyone else and make their records late. A record more than
 * `maxJumpMs` ahead of the partition's largest event time is a jump when other sources are still
 * reporting near the watermark, unless
 *  - another source is also that far ahead, at about the same time (two clocks agree: the
 *    partition really moved on, e.g. after a gap in the data), or
 *  - the source has stayed that far ahead for `confirmMs` of its own event time with no other
 *    source reporting in between (the others stopped; nobody is left to be made late).
 * A partition with no other recently active source accepts the record at once (nobody else's
 * records are at stake). The state is rebuilt from the records: it is not in the changelog, so
 * right after a restore a jump is caught only once other sources have reported again.
 */

/** Outcome of checking one record. */
export type JumpVerdict = { readonly jump: false } | { readonly jump: true; readonly aheadMs: number; readonly othersActive: number };

interface Pending {
  readonly firstMs: number;
  readonly lastMs: number;
  /** `accepted` count when the run began: any other accepted record since breaks the run. */
  readonly seq: number;
}

/** Jump detector of one partition. */
export class SourceClock {
  private readonly lastMs = new Map<string, number>();
  private readonly pending = new Map<string, Pending>();
  private accepted = 0;
  private readonly confirmMs: number;

  constructor(readonly maxJumpMs: number, confirmMs?: number) {
    this.confirmMs = confirmMs ?? maxJumpMs;
  }

  /** Checks a record of `source` at `eventTimeMs` against the partition's largest event time; remembers it either way. */
  check(source: string, eventTimeMs: number, partitionMaxMs: number): JumpVerdict {
    const aheadMs = eventTimeMs - partitionMaxMs;
    if (!Number.isFinite(partitionMaxMs) || aheadMs <= this.maxJumpMs) return this.accept(source, eventTimeMs, partitionMaxMs);
    let othersActive = 0;
    for (const [s, t] of this.lastMs) if (s !== source && t >= partitionMaxMs - this.maxJumpMs) othersActive++;
    if (othersActive === 0) return this.accept(source, eventTimeMs, partitionMaxMs);
    for (const [s, p] of this.pending) {
      if (s !== source && Math.abs(p.lastMs - eventTimeMs) <= this.maxJumpMs) return this.accept(source, eventTimeMs, partitionMaxMs);
    }
    const prev = this.pending.get(source);
    const run = prev && prev.seq === this.accepted ? prev : undefined;
    if (run && eventTimeMs - run.firstMs >= this.confirmMs) return this.accept(source, eventTimeMs, partitionMaxMs);
    this.pending.set(source, { firstMs: run?.firstMs ?? eventTimeMs, lastMs: eventTimeMs, seq: this.accepted });
    return { jump: true, aheadMs, othersActive };
  }

  private accept(source: string, eventTimeMs: number, partitionMaxMs: number): JumpVerdict {
    const prev = this.lastMs.get(source);
    if (prev === undefined || eventTimeMs > prev) this.lastMs.set(source, eventTimeMs);
    this.pending.delete(source);
    this.accepted++;
    // Sources silent for longer than the bound no longer count as active: forget them (bounded memory).
    if ((this.accepted & 1023) === 0) {
      const horizon = Math.max(partitionMaxMs, eventTimeMs) - this.maxJumpMs;
      for (const [s, t] of this.lastMs) if (t < horizon) this.lastMs.delete(s);
      for (const [s, p] of this.pending) if (p.lastMs <= horizon + this.maxJumpMs) this.pending.delete(s);
    }
    return { jump: false };
  }

  /** Sources currently remembered (for tests and metrics). */
  get size(): number {
    return this.lastMs.size;
  }
}
