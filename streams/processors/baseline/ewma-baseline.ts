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
 *
 * Both variances estimate the noise variance σ² of the series itself, not of the
 * one-step prediction error. The squared error e = x − m_{t−1} overstates σ² because the
 * level m is itself an estimate: E[e²] = σ²·(1 + k), with k = Var(m)/σ² (1/n after a
 * warm-up of n windows; under the EWMA k' = (1−α)²k + α², which settles at α/(2−α)).
 * Learning e²/(1+k) instead of e² removes that bias — without it the steady-state
 * variance is σ²·2/(2−α), 1.11σ² at α = 0.2, every z-score is 5 % too small, and a step
 * of 3.2σ escapes the |z| > 3 rule about half the time after a long stationary run.
 * k and its reference counterpart are kept so the chart can widen its limits for the
 * reference's own estimation error (see ewma-chart.ts).
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

/**
 * Defaults (see the file comment for varianceAlpha). referenceAlpha 0.002: a reference that
 * adapts faster follows the slow excursions the chart integrates and hides part of them
 * (at 0.01 the chart statistic's in-control variance is 8 % below the known-parameter one,
 * its ARL ≈ 640 instead of 500); at 0.002 that effect is 0.8 % (bench/drift-false-alarms.ts).
 */
export const DEFAULT_BASELINE_CONFIG: BaselineConfig = {
  alpha: 0.2, varianceAlpha: 0.02, referenceAlpha: 0.002, warmupWindows: 30, minStdAbs: 1e-9, minStdRel: 0.001, idleExpiryMs: 6 * 3600_000,
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
  /** Var(mean)/σ² and Var(refMean)/σ²: how uncertain the two levels are (absent in states written before they existed). */
  readonly levelVar?: number;
  readonly refLevelVar?: number;
}

/** A baseline that has learned nothing. */
export function emptyBaseline(): BaselineState {
  return { n: 0, mean: 0, variance: 0, m2: 0, refMean: 0, refVariance: 0, levelVar: 1, refLevelVar: 1 };
}

/** Var(level)/σ² of an EWMA level after a long run: α/(2−α). */
function steadyLevelVar(alpha: number): number {
  return alpha / (2 - alpha);
}

/** Var(mean)/σ² of the fast level (states without it are taken as long-running). */
export function levelVarOf(b: BaselineState, cfg: BaselineConfig): number {
  return b.levelVar ?? steadyLevelVar(cfg.alpha);
}

/** Var(refMean)/σ² of the reference level (states without it are taken as long-running). */
export function refLevelVarOf(b: BaselineState, cfg: BaselineConfig): number {
  return b.refLevelVar ?? steadyLevelVar(cfg.referenceAlpha);
}

/** True while fewer than `warmupWindows` windows were learned. */
export function isWarmingUp(b: BaselineState, cfg: BaselineConfig): boolean {
  return b.n < cfg.warmupWindows;
}

/** Standard normal density and distribution function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
function phi(x: number): number {
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}
function bigPhi(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const erf = 1 - t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * E[X² | |X| ≤ c] for X ~ N(0, 1): the share of the noise variance a baseline sees when
 * it holds out every window beyond c prediction-error sd (1 − 2cφ(c)/(2Φ(c) − 1)).
 */
export function truncatedSecondMoment(c: number): number {
  if (!Number.isFinite(c)) return 1;
  const mass = 2 * bigPhi(c) - 1;
  return mass > 0 ? 1 - (2 * c * phi(c)) / mass : 1;
}

/**
 * Learns one window value. `holdoutThreshold` is the |z| beyond which the caller holds
 * windows out of the baseline (null: none): the variance only ever sees the windows
 * inside it, a truncated normal with 4 % less variance at |z| ≤ 3, so it is divided by
 * that share. With z = e/σ and Var(e) = σ²(1+k) the cut is at threshold/√(1+k) error sd.
 * The reference is held out on the same windows and gets the same factor (its error is
 * nearly the same variable: the two levels differ by much less than σ).
 */
export function learn(b: BaselineState, x: number, cfg: BaselineConfig, holdoutThreshold: number | null = null): BaselineState {
  if (isWarmingUp(b, cfg)) {
    const n = b.n + 1;
    const d = x - b.mean;
    const mean = b.mean + d / n;
    const m2 = b.m2 + d * (x - mean);
    const variance = n > 1 ? m2 / (n - 1) : 0;
    return { n, mean, variance, m2, refMean: mean, refVariance: variance, levelVar: 1 / n, refLevelVar: 1 / n };
  }
  const d = x - b.mean;
  const dr = x - b.refMean;
  const k = levelVarOf(b, cfg);
  const kr = refLevelVarOf(b, cfg);
  const a = cfg.alpha;
  const ar = cfg.referenceAlpha;
  const seen = holdoutThreshold === null ? 1 : truncatedSecondMoment(holdoutThreshold / Math.sqrt(1 + k));
  return {
    n: b.n + 1,
    mean: b.mean + a * d,
    variance: (1 - cfg.varianceAlpha) * b.variance + (cfg.varianceAlpha * d * d) / ((1 + k) * seen),
    m2: b.m2,
    refMean: b.refMean + ar * dr,
    refVariance: (1 - ar) * b.refVariance + (ar * dr * dr) / ((1 + kr) * seen),
    levelVar: (1 - a) * (1 - a) * k + a * a,
    refLevelVar: (1 - ar) * (1 - ar) * kr + ar * ar,
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
  return { n: Math.max(b.n, n), mean, variance, m2, refMean: mean, refVariance: variance, levelVar: 1 / n, refLevelVar: 1 / n };
}
