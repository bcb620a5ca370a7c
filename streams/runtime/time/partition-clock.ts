/**
 * Event time of one partition. Per partition (not per worker) so the answer does not depend
 * on which worker owns which partition. A record older than the watermark is late; the
 * watermark is the largest event time seen minus the allowed lateness, never moving back.
 *
 * A repartition partition mixes the records of every upstream partition, and upstream consumers
 * lag differently: the fastest would push the watermark past the slow ones and make their
 * records late. So a repartitioned record names its upstream partition, that partition's
 * progress (largest event time its router saw) and whether its router still had a backlog
 * (processors/repartition.ts). An upstream with a backlog HOLDS the watermark: it is at most
 * the min of the held upstreams' progress minus the lateness, so a record is late only when it
 * would be late against its own upstream. An upstream that is caught up holds nothing (there is
 * nothing older waiting there), so sparse upstreams do not stall the watermark, and a runtime
 * with no backlog at all (the replay, a paced run) keeps the plain rule. The watermark is never
 * above the plain rule's, so no record is late that was not before.
 *
 * A held upstream that sent nothing for `idleMs` of the runtime's `nowMs` (wall clock in the Kafka
 * runtime) stops holding, so a stopped upstream cannot stall the watermark (like Flink's
 * `withIdleness`). The held upstreams and their progress go to the changelog with the clock; when
 * each was last heard of does not (wall-clock time), so after a restore every held upstream
 * counts as just heard of: it holds for at most `idleMs` more.
 *
 * Not covered: an upstream first heard of only after the others moved on is not waited for
 * (nothing announces it), and skew created before the router (a lagging stage that feeds it) is
 * seen only as far as the router's own backlog shows it.
 */

/** Default idleness bound (ms of `nowMs`). */
export const DEFAULT_SOURCE_IDLE_MS = 60_000;

/** What the changelog holds (JSON has no −∞: null stands for it). `watermarkMs`/`held` only while an upstream holds. */
export interface ClockSnapshot {
  readonly maxEventTimeMs: number | null;
  readonly watermarkMs?: number | null;
  /** Held upstream → its progress (ms). */
  readonly held?: Readonly<Record<string, number>>;
}

/** Where a repartitioned record came from. */
export interface Upstream {
  readonly source: string;
  /** Largest event time the upstream had seen when it sent the record. */
  readonly progressMs: number;
  /** The upstream still had older records waiting (a backlog). */
  readonly behind: boolean;
}

interface Held {
  progressMs: number;
  /** `nowMs` when last heard of; NaN right after a restore (filled in by the next record). */
  lastSeenMs: number;
}

interface Undo {
  readonly maxEventMs: number;
  readonly wmMs: number;
  readonly source: string | undefined;
  readonly prev: Held | undefined;
}

/** Watermark tracker for one partition of one processor. */
export class PartitionClock {
  private maxEventMs = Number.NEGATIVE_INFINITY;
  private wmMs = Number.NEGATIVE_INFINITY;
  private readonly held = new Map<string, Held>();
  private undo: Undo | undefined;

  constructor(
    readonly allowedLatenessMs: number,
    readonly idleMs: number = DEFAULT_SOURCE_IDLE_MS,
  ) {}

  /** Current watermark; −∞ before the first record. */
  get watermarkMs(): number {
    return this.wmMs;
  }

  /** Largest event time seen over all sources; −∞ before the first record. */
  get maxEventTimeMs(): number {
    return this.maxEventMs;
  }

  /** True when a record with this event time arrives behind the watermark. */
  isLate(eventTimeMs: number): boolean {
    return eventTimeMs < this.wmMs;
  }

  /** Advances the clock with an on-time record (from `upstream` when it came through a repartition topic); true when anything the changelog holds moved. */
  observe(eventTimeMs: number, nowMs = 0, upstream?: Upstream): boolean {
    let heldMoved = false;
    const prev = upstream ? this.held.get(upstream.source) : undefined;
    this.undo = { maxEventMs: this.maxEventMs, wmMs: this.wmMs, source: upstream?.source, prev: prev && { ...prev } };
    if (upstream?.behind) {
      const progressMs = Math.max(upstream.progressMs, eventTimeMs, prev?.progressMs ?? Number.NEGATIVE_INFINITY);
      heldMoved = prev === undefined || progressMs > prev.progressMs;
      this.held.set(upstream.source, { progressMs, lastSeenMs: nowMs });
    } else if (upstream && prev) {
      this.held.delete(upstream.source);
      heldMoved = true;
    }
    const maxMoved = eventTimeMs > this.maxEventMs;
    if (maxMoved) this.maxEventMs = eventTimeMs;
    let upTo = this.maxEventMs;
    for (const h of this.held.values()) {
      if (Number.isNaN(h.lastSeenMs)) h.lastSeenMs = nowMs;
      if (nowMs - h.lastSeenMs <= this.idleMs && h.progressMs < upTo) upTo = h.progressMs;
    }
    const wm = upTo - this.allowedLatenessMs;
    const wmMoved = wm > this.wmMs;
    if (wmMoved) this.wmMs = wm;
    return maxMoved || wmMoved || heldMoved;
  }

  /** Takes back the last `observe` (the record was rejected, so it must not move event time for the rest). */
  undoLast(): void {
    const u = this.undo;
    if (!u) return;
    this.undo = undefined;
    this.maxEventMs = u.maxEventMs;
    this.wmMs = u.wmMs;
    if (u.source === undefined) return;
    if (u.prev) this.held.set(u.source, u.prev);
    else this.held.delete(u.source);
  }

  /** Serialisable snapshot for the changelog; with no upstream holding it is the one-field form of the plain clock. */
  snapshot(): ClockSnapshot {
    const max = Number.isFinite(this.maxEventMs) ? this.maxEventMs : null;
    if (this.held.size === 0) return { maxEventTimeMs: max };
    const held: Record<string, number> = {};
    for (const [k, h] of this.held) held[k] = h.progressMs;
    return { maxEventTimeMs: max, watermarkMs: Number.isFinite(this.wmMs) ? this.wmMs : null, held };
  }

  /** Restores from a snapshot written by `snapshot()`. */
  restore(s: ClockSnapshot | undefined): void {
    this.undo = undefined;
    this.held.clear();
    this.maxEventMs = s?.maxEventTimeMs ?? Number.NEGATIVE_INFINITY;
    for (const [k, progressMs] of Object.entries(s?.held ?? {})) this.held.set(k, { progressMs, lastSeenMs: Number.NaN });
    // Without held upstreams the watermark is the plain one (a held watermark is below it and was written with them).
    this.wmMs = s?.held ? (s.watermarkMs ?? Number.NEGATIVE_INFINITY) : this.maxEventMs - this.allowedLatenessMs;
  }

  /** Held upstreams with their progress and whether they still hold at `nowMs` (for tests and diagnostics). */
  heldAt(nowMs: number): { source: string; progressMs: number; holding: boolean }[] {
    return [...this.held].map(([source, h]) => ({ source, progressMs: h.progressMs, holding: Number.isNaN(h.lastSeenMs) || nowMs - h.lastSeenMs <= this.idleMs }));
  }
}
