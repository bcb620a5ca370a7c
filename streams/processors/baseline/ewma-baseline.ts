/**
 * EWMA baseline of one series: a fast level (α, default 0.2) with the variance of the
 * one-step deviation, plus a slow reference level (referenceAlpha) used as the in-control
 * mean of the small-shift chart. During warm-up every estimate is the exact running
 * mean/variance (Welford), so the first windows do not dominate the EWMA.
 *
 * The variance has its own, slower smoothing (varianceAlpha, default 0.02): with the
 * variance at α = 0.2 the σ estimate rests on ~9 windows and z-scores become heavy
 * tailed — measured 13 false "|z|>3 twice" drifts per 10k stationary windows instead of
 * ~0.1 (see bench/results/drift.md). State is a fixed handful of numbers per series.
 */

/** Smoothing and warm-up of the baseline. */
export interface BaselineConfig {
  /** EWMA weight of the level (issue default 0.2). */
  readonly alpha: number;
  /** EWMA weight of the squared deviation. */
  readonly varianceAlpha: number;
  /** EWMA weight of the slow reference level/variance used by the small-shift chart. */
  readonly referenceAlpha: number;
  /** Windows learned before any judgement. */
  readonly warmupWindows: number;
  /** Floor of the standard deviation: max(minStdAbs, minStdRel·|mean|); flat series otherwise give infinite z. */
  readonly minStdAbs: number;
  readonly minStdRel: number;
  /** A series with no window for this long is forgotten (state deleted, baseline tombstoned). */
  readonly idleExpiryMs: number;
}

/** Defaults (see the file comment for varianceAlpha). */
export const DEFAULT_BASELINE_CONFIG: BaselineConfig = {
  alpha: 0.2, varianceAlpha: 0.02, referenceAlpha: 0.01, warmupWindows: 30, minStdAbs: 1e-9, minStdRel: 0.001, idleExpiryMs: 6 * 3600_000,
};

/** The numbers a baseline keeps. */
export interface BaselineState {
  /** Windows learned. */
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
  /** Sum of squared deviations (Welford) while warming up. */
  readonly m2: number;
  readonly refMean: number;
  readonly refVariance: number;
}

/** A baseline that has learned nothing. */
export function emptyBaseline(): BaselineState {
  return { n: 0, mean: 0, variance: 0, m2: 0, refMean: 0, refVariance: 0 };
}

/** True while fewer than `warmupWindows` windows were learned. */
export function isWarmingUp(b: BaselineState, cfg: BaselineConfig): boolean {
  return b.n < cfg.warmupWindows;
}

/** Learns one window value. */
export function learn(b: BaselineState, x: number, cfg: BaselineConfig): BaselineState {
  if (isWarmingUp(b, cfg)) {
    const n = b.n + 1;
    const d = x - b.mean;
    const mean = b.mean + d / n;
    const m2 = b.m2 + d * (x - mean);
    const variance = n > 1 ? m2 / (n - 1) : 0;
    return { n, mean, variance, m2, refMean: mean, refVariance: variance };
  }
  const d = x - b.mean;
  const dr = x - b.refMean;
  return {
    n: b.n + 1,
    mean: b.mean + cfg.alpha * d,
    variance: (1 - cfg.varianceAlpha) * b.variance + cfg.varianceAlpha * d * d,
    m2: b.m2,
    refMean: b.refMean + cfg.referenceAlpha * dr,
    refVariance: (1 - cfg.referenceAlpha) * b.refVariance + cfg.referenceAlpha * dr * dr,
  };
}

/** Standard deviation floor for a level. */
function stdFloor(level: number, cfg: BaselineConfig): number {
  return Math.max(cfg.minStdAbs, cfg.minStdRel * Math.abs(level));
}

/** Standard deviation used for z-scores (floored). */
export function judgementStd(b: BaselineState, cfg: BaselineConfig): number {
  return Math.max(Math.sqrt(b.variance), stdFloor(b.mean, cfg));
}

/** Standard deviation of the chart's reference (floored). */
export function referenceStd(b: BaselineState, cfg: BaselineConfig): number {
  return Math.max(Math.sqrt(b.refVariance), stdFloor(b.refMean, cfg));
}

/** A baseline re-learned from the values of a confirmed new normal. */
export function rebaseline(values: readonly number[], b: BaselineState): BaselineState {
  const n = values.length;
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const m2 = values.reduce((a, v) => a + (v - mean) * (v - mean), 0);
  const variance = n > 1 ? m2 / (n - 1) : 0;
  return { n: Math.max(b.n, n), mean, variance, m2, refMean: mean, refVariance: variance };
}
