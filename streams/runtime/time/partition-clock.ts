/**
 * Event time of one partition: the watermark is the largest event time seen minus the
 * allowed lateness. A record older than the current watermark is late. Per partition
 * (not per worker) so the answer does not depend on which worker owns which partition.
 */

/** Watermark tracker for one partition of one processor. */
export class PartitionClock {
  private maxEventMs = Number.NEGATIVE_INFINITY;

  constructor(readonly allowedLatenessMs: number) {}

  /** Current watermark; −∞ before the first record. */
  get watermarkMs(): number {
    return this.maxEventMs - this.allowedLatenessMs;
  }

  /** Largest event time seen; −∞ before the first record. */
  get maxEventTimeMs(): number {
    return this.maxEventMs;
  }

  /** True when a record with this event time arrives behind the watermark. */
  isLate(eventTimeMs: number): boolean {
    return eventTimeMs < this.watermarkMs;
  }

  /** Advances the clock with an on-time record; returns true when the watermark moved. */
  observe(eventTimeMs: number): boolean {
    if (eventTimeMs > this.maxEventMs) {
      this.maxEventMs = eventTimeMs;
      return true;
    }
    return false;
  }

  /** Serialisable snapshot for the changelog (JSON has no −∞: null stands for it). */
  snapshot(): { maxEventTimeMs: number | null } {
    return { maxEventTimeMs: Number.isFinite(this.maxEventMs) ? this.maxEventMs : null };
  }

  /** Restores from a snapshot written by `snapshot()`. */
  restore(s: { maxEventTimeMs: number | null } | undefined): void {
    this.maxEventMs = s?.maxEventTimeMs ?? Number.NEGATIVE_INFINITY;
  }
}
