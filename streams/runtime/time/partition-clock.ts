/**
 * Event time of one partition. Per partition (not per worker) so the answer does not depend
 * on which worker owns which partition. A record older than the watermark is late; the
 * watermark is the largest event time seen minus the allowed lateness, never moving back.
 *
 * A repartition partition mixes the records of every upstream partition, and upstream consumers
 * lag differently: the fastest would push the watermark past the slow ones and make their
 * records late. So a repartitioned record names its upstream partition, that partition's
 * progress (largest event time its router saw) and whether its router still had a backlog
 * (processors/repartition.ts). The watermark is at most the min of the upstreams' progress minus
 * the lateness, so a record is late only when it would be late against its own upstream.
 *
 * An upstream with a backlog holds for `idleMs` of the runtime's `nowMs` (wall clock in the Kafka
 * runtime) after it last sent something, so a stopped upstream cannot stall the watermark (like
 * Flink's `withIdleness`). A caught-up upstream holds too, but only for `caughtUpIdleMs` (shorter):
 * "caught up" was true when its router fetched, and one router serves its partitions one batch
 * after the other, so in an unpaced replay each partition's stamp is seconds old by the time
 * another partition's batch arrives with event time tens of seconds further on (the producer kept
 * writing every partition meanwhile). Releasing a caught-up upstream at once let the batch just
 * read push the watermark past the next partition's batch (bench/fmea-onset-latency.ts, max
 * speed: hundreds of late spans per run in canary and series-drift-fleet). The short bound keeps
 * a sparse upstream from stalling the watermark for long; `advance` applies it without a record.
 *
 * Upstreams are tracked only once one of them reported a backlog: a runtime with no backlog at
 * all (the replay) keeps the plain rule, as does a partition read directly. The watermark is never
 * above the plain rule's, so no record is late that was not before. The tracked upstreams and
 * their progress go to the changelog with the clock; when each was last heard of does not
 * (wall-clock time), so after a restore every one counts as just heard of.
 *
 * Not covered: an upstream first heard of only after the others moved on is not waited for
 * (nothing announces it), and skew created before the router (a lagging stage that feeds it) is
 * seen only as far as the router's own backlog shows it.
 */

/** Default idleness bound (ms of `nowMs`). */
export const DEFAULT_SOURCE_IDLE_MS = 60_000;
/** Default bound for a caught-up upstream (ms of `nowMs`): above the few seconds a router takes to come round to a partition again under an unpaced replay. */
export const DEFAULT_CAUGHT_UP_IDLE_MS = 10_000;

/** What the changelog holds (JSON has no −∞: null stands for it). `watermarkMs`/`held`/`caughtUp` only once upstreams are tracked. */
export interface ClockSnapshot {
  readonly maxEventTimeMs: number | null;
  readonly watermarkMs?: number | null;
  /** Held upstream (with a backlog) → its progress (ms). */
  readonly held?: Readonly<Record<string, number>>;
  /** Caught-up upstream → its progress (ms); present once upstreams are tracked. */
  readonly caughtUp?: Readonly<Record<string, number>>;
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
  /** Its router had a backlog (holds for `idleMs`) or was caught up (`caughtUpIdleMs`). */
  behind: boolean;
  /** `nowMs` when last heard of; NaN right after a restore (filled in by the next record). */
  lastSeenMs: number;
}

interface Undo {
  readonly maxEventMs: number;
  readonly wmMs: number;
  readonly tracking: boolean;
  readonly source: string | undefined;
  readonly prev: Held | undefined;
  /** Quiet caught-up upstreams the record's recompute forgot. */
  readonly dropped: [string, Held][];
}

/** Watermark tracker for one partition of one processor. */
export class PartitionClock {
  private maxEventMs = Number.NEGATIVE_INFINITY;
  private wmMs = Number.NEGATIVE_INFINITY;
  private readonly held = new Map<string, Held>();
  /** Set by the first upstream with a backlog; until then the plain rule. */
  private tracking = false;
  private undo: Undo | undefined;
  readonly caughtUpIdleMs: number;

  constructor(
    readonly allowedLatenessMs: number,
    readonly idleMs: number = DEFAULT_SOURCE_IDLE_MS,
    caughtUpIdleMs: number = DEFAULT_CAUGHT_UP_IDLE_MS,
  ) {
    this.caughtUpIdleMs = Math.min(caughtUpIdleMs, idleMs);
  }

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
    const before = upstream ? this.held.get(upstream.source) : undefined;
    const dropped: [string, Held][] = [];
    this.undo = { maxEventMs: this.maxEventMs, wmMs: this.wmMs, tracking: this.tracking, source: upstream?.source, prev: before && { ...before }, dropped };
    const startsTracking = upstream?.behind === true && !this.tracking;
    if (startsTracking) this.tracking = true;
    if (upstream) {
      // Listed before tracking starts too, so upstreams heard of before the first backlog are waited for from then on.
      const prev = this.held.get(upstream.source);
      const progressMs = Math.max(upstream.progressMs, eventTimeMs, prev?.progressMs ?? Number.NEGATIVE_INFINITY);
      heldMoved = this.tracking && (startsTracking || prev === undefined || progressMs > prev.progressMs || prev.behind !== upstream.behind);
      this.held.set(upstream.source, { progressMs, behind: upstream.behind, lastSeenMs: nowMs });
    }
    const maxMoved = eventTimeMs > this.maxEventMs;
    if (maxMoved) this.maxEventMs = eventTimeMs;
    const wmMoved = this.recompute(nowMs, dropped);
    return maxMoved || wmMoved || heldMoved || dropped.length > 0;
  }

  /** Lets upstreams that went quiet stop holding at `nowMs` without a record (wall-clock ticks); true when the watermark or the changelog's upstreams moved. */
  advance(nowMs: number): boolean {
    if (!this.tracking || this.held.size === 0) return false;
    this.undo = undefined;
    const dropped: [string, Held][] = [];
    const wmMoved = this.recompute(nowMs, dropped);
    return wmMoved || dropped.length > 0;
  }

  /**
   * End of a finite input (replay): no record will arrive any more, so nothing needs waiting for and the
   * watermark may move to `untilMs` at once; true when it moved.
   */
  closeInput(untilMs: number): boolean {
    this.undo = undefined;
    if (!(untilMs > this.wmMs)) return false;
    this.wmMs = untilMs;
    return true;
  }

  /** Moves the watermark to the min over holding upstreams; quiet caught-up ones are forgotten (into `dropped`). */
  private recompute(nowMs: number, dropped: [string, Held][]): boolean {
    let upTo = this.maxEventMs;
    if (this.tracking) for (const [k, h] of this.held) {
      if (Number.isNaN(h.lastSeenMs)) h.lastSeenMs = nowMs;
      const quietMs = nowMs - h.lastSeenMs;
      if (quietMs <= (h.behind ? this.idleMs : this.caughtUpIdleMs)) {
        if (h.progressMs < upTo) upTo = h.progressMs;
      } else if (!h.behind) {
        // A quiet caught-up upstream is forgotten (its next record tracks it again); a quiet held one stays listed until it is heard of.
        this.held.delete(k);
        dropped.push([k, h]);
      }
    }
    const wm = upTo - this.allowedLatenessMs;
    const wmMoved = wm > this.wmMs;
    if (wmMoved) this.wmMs = wm;
    return wmMoved;
  }

  /** Takes back the last `observe` (the record was rejected, so it must not move event time for the rest). */
  undoLast(): void {
    const u = this.undo;
    if (!u) return;
    this.undo = undefined;
    this.maxEventMs = u.maxEventMs;
    this.wmMs = u.wmMs;
    this.tracking = u.tracking;
    for (const [k, h] of u.dropped) this.held.set(k, h);
    if (u.source === undefined) return;
    if (u.prev) this.held.set(u.source, u.prev);
    else this.held.delete(u.source);
  }

  /** Serialisable snapshot for the changelog; with no upstream holding it is the one-field form of the plain clock. */
  snapshot(): ClockSnapshot {
    const max = Number.isFinite(this.maxEventMs) ? this.maxEventMs : null;
    if (!this.tracking) return { maxEventTimeMs: max };
    const held: Record<string, number> = {};
    const caughtUp: Record<string, number> = {};
    for (const [k, h] of this.held) (h.behind ? held : caughtUp)[k] = h.progressMs;
    return { maxEventTimeMs: max, watermarkMs: Number.isFinite(this.wmMs) ? this.wmMs : null, held, caughtUp };
  }

  /** Restores from a snapshot written by `snapshot()`. */
  restore(s: ClockSnapshot | undefined): void {
    this.undo = undefined;
    this.held.clear();
    this.maxEventMs = s?.maxEventTimeMs ?? Number.NEGATIVE_INFINITY;
    for (const [k, progressMs] of Object.entries(s?.held ?? {})) this.held.set(k, { progressMs, behind: true, lastSeenMs: Number.NaN });
    for (const [k, progressMs] of Object.entries(s?.caughtUp ?? {})) this.held.set(k, { progressMs, behind: false, lastSeenMs: Number.NaN });
    // A snapshot with `held` was written while upstreams were tracked (older ones have no `caughtUp`).
    this.tracking = s?.held !== undefined;
    // Untracked, the watermark is the plain one (a tracked watermark is below it and was written with the upstreams).
    this.wmMs = this.tracking ? (s!.watermarkMs ?? Number.NEGATIVE_INFINITY) : this.maxEventMs - this.allowedLatenessMs;
  }

  /** Held upstreams with their progress and whether they still hold at `nowMs` (for tests and diagnostics). */
  heldAt(nowMs: number): { source: string; progressMs: number; behind: boolean; holding: boolean }[] {
    return [...this.held].map(([source, h]) => ({ source, progressMs: h.progressMs, behind: h.behind, holding: Number.isNaN(h.lastSeenMs) || nowMs - h.lastSeenMs <= (h.behind ? this.idleMs : this.caughtUpIdleMs) }));
  }
}
