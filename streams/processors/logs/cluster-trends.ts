/**
 * Rate trends of one log cluster: an EWMA baseline of its per-window count and the
 * decisions "new cluster", "rate ×N over baseline" and "gone". Pure functions over a
 * small state so the decision for a window can be unit-tested by hand arithmetic.
 */

/** Knobs of the trend decisions. */
export interface TrendOptions {
  /** EWMA smoothing factor for the per-window count baseline. */
  readonly alpha: number;
  /** RATE_UP when count ≥ ratio × baseline (3 = the field's "↑200%"; 4 = "↑300%"). */
  readonly rateUpRatio: number;
  /** Counts below this never raise RATE_UP (a cluster going 1 → 3 lines is noise). */
  readonly minCount: number;
  /** Windows of history before the baseline is trusted for RATE_UP. */
  readonly minBaselineWindows: number;
  /** Floor of the baseline in the ratio so a near-zero baseline cannot make every line a spike. */
  readonly minBaselineRate: number;
  /** Consecutive empty windows after which an active cluster is GONE. */
  readonly goneAfterWindows: number;
  /** Baseline a cluster must have had while active to be reported GONE. */
  readonly goneMinBaseline: number;
  /** Windows after start-up during which new clusters are learned silently (no NEW flood on start). */
  readonly warmupWindows: number;
}

/** Defaults. */
export const DEFAULT_TREND_OPTIONS: TrendOptions = {
  alpha: 0.3,
  rateUpRatio: 3,
  minCount: 5,
  minBaselineWindows: 3,
  minBaselineRate: 1,
  goneAfterWindows: 3,
  goneMinBaseline: 1,
  warmupWindows: 2,
};

/** Per-cluster trend state, persisted with the cluster. */
export interface TrendState {
  /** EWMA of the per-window count; null before the first window. */
  readonly baseline: number | null;
  /** Windows folded into the baseline. */
  readonly windows: number;
  readonly zeroStreak: number;
  /** Baseline at the last window with lines (what GONE compares against). */
  readonly lastActiveBaseline: number;
  readonly gone: boolean;
}

/** Trend event kinds. */
export type TrendEventType = 'NEW' | 'RATE_UP' | 'GONE' | 'UPDATE';

/** One decision with the numbers behind it. */
export interface TrendDecision {
  readonly type: TrendEventType;
  /** Baseline before this window (null for a NEW cluster). */
  readonly baseline: number | null;
  /** count / max(baseline, minBaselineRate), when a baseline exists. */
  readonly ratio: number | null;
}

/** State of a cluster that has never been counted. */
export const INITIAL_TREND: TrendState = { baseline: null, windows: 0, zeroStreak: 0, lastActiveBaseline: 0, gone: false };

/** Folds one window's count into the trend and returns the events it raises. */
export function evaluateTrend(
  state: TrendState,
  count: number,
  flags: { readonly isNew: boolean; readonly compositionChanged: boolean; readonly windowsClosed: number },
  o: TrendOptions = DEFAULT_TREND_OPTIONS,
): { next: TrendState; events: TrendDecision[] } {
  const events: TrendDecision[] = [];
  const before = state.baseline;
  const ratio = before === null ? null : count / Math.max(before, o.minBaselineRate);
  if (flags.isNew) {
    // A cluster split off by re-clustering without lines of its own this window is not news.
    if (count > 0 && flags.windowsClosed >= o.warmupWindows) events.push({ type: 'NEW', baseline: null, ratio: null });
  } else {
    // A GONE cluster coming back is judged against the rate it ran at when it was last active, not its decayed
    // baseline: returning at its old rate is a return, returning at ×N of it is a rise (a sparse cluster that
    // went quiet and comes back as a flood).
    const reference = state.gone ? state.lastActiveBaseline : before;
    const vsReference = reference === null ? null : count / Math.max(reference, o.minBaselineRate);
    if (vsReference !== null && state.windows >= o.minBaselineWindows && count >= o.minCount && vsReference >= o.rateUpRatio) {
      events.push({ type: 'RATE_UP', baseline: reference, ratio: vsReference });
    }
    if (flags.compositionChanged) events.push({ type: 'UPDATE', baseline: before, ratio });
  }
  const zeroStreak = count > 0 ? 0 : state.zeroStreak + 1;
  let gone = count > 0 ? false : state.gone;
  if (!gone && count === 0 && zeroStreak >= o.goneAfterWindows && state.lastActiveBaseline >= o.goneMinBaseline) {
    events.push({ type: 'GONE', baseline: before, ratio });
    gone = true;
  }
  const baseline = before === null ? count : o.alpha * count + (1 - o.alpha) * before;
  const lastActiveBaseline = count > 0 ? baseline : state.lastActiveBaseline;
  return { next: { baseline, windows: state.windows + 1, zeroStreak, lastActiveBaseline, gone }, events };
}
