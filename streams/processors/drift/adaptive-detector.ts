/**
 * The default drift detector: a robust baseline judged by three scores with one vote, an
 * adaptive threshold learned from the series' own score history, and hold-open with
 * re-baselining. Built from what scores well on real metric series (NAB): robust
 * location/scale (Huber-clipped EWMA level and mean absolute deviation, so one outlier does
 * not move the baseline), a spike score |u|, a shift score (EWMA chart of the clipped u, its
 * limit scaled by the chart's own observed spread when the series is autocorrelated), and
 * the anomaly likelihood of HTM (Ahmad et al. 2017): a short average of the score compared
 * with the distribution of that average over the series' own history, so a heavy-tailed
 * series gets a higher bar than a Gaussian one. A drift, once raised, is held open until
 * the series has been quiet for `recoveryWindows` (and at least `holdWindows` have passed);
 * a drift that lasts `rebaselineAfterWindows` becomes the new normal, learned from the
 * drifting windows themselves (Welford over them, O(1)).
 *
 * State is a fixed handful of numbers per series (plain JSON, in the changelog), one step
 * per closed window is O(1), and nothing is said while the baseline is untrustworthy:
 * fewer than `warmupWindows` windows, or a scale that is still zero.
 */

/** Parameters of the adaptive detector. */
export interface AdaptiveDetectorConfig {
  /** EWMA weight of the robust level. */
  readonly levelAlpha: number;
  /** EWMA weight of the slow reference level the shift chart is judged against (a level that follows a shift hides it). */
  readonly refAlpha: number;
  /** EWMA weight of the robust scale (mean absolute deviation) and of the score history. */
  readonly scaleAlpha: number;
  /** Residuals are clipped at this many σ when the baseline learns (Huber). */
  readonly huber: number;
  /** A single window beyond this many σ is a spike; 0 disables the spike score. */
  readonly spikeZ: number;
  /** Shift score: EWMA chart of the clipped residual (λ, limit L in the chart's own sd); null disables. */
  readonly shift: { readonly lambda: number; readonly L: number } | null;
  /**
   * Windows learned before the shift chart may signal. The chart integrates small offsets, so
   * it needs a reference whose own error is small against its limit (after n windows the
   * reference is off by σ/√n, the chart's limit is ~0.8σ): until then it would chart the
   * reference's error, not the series.
   */
  readonly shiftWarmupWindows: number;
  /**
   * The shift chart's limit scaled by the chart's own observed spread: the mean square of the
   * chart statistic over the series' in-control history (EWMA weight `alpha`). On independent
   * noise it matches the chart's theoretical variance and changes nothing; on an autocorrelated
   * series (most real metrics: a level that wanders) the chart's spread is several times the
   * theoretical one, and a limit set for independent noise alarms on every wander. The limit is
   * the larger of the two, so it never narrows below the independent-noise limit. The observed
   * mean square counts divided by `margin`: on independent noise the estimate scatters ±20 %
   * around the theoretical value (and grows a little while a real shift builds up), and
   * without the margin that scatter alone would widen the limit and slow the 1σ shift
   * detection. null disables.
   */
  readonly chartSelfScale: { readonly alpha: number; readonly margin: number } | null;
  /**
   * Anomaly likelihood: the EWMA (weight `shortAlpha`) of min(|u|, huber) compared with that
   * average's own history (mean and variance at weight `longAlpha`); it signals when the
   * Gaussian tail probability falls below `tail`. null disables it.
   */
  readonly likelihood: { readonly shortAlpha: number; readonly longAlpha: number; readonly tail: number } | null;
  /**
   * Per-series threshold: every onset raises the series' bar by `step` (×(1 + boost)), and the
   * boost decays by `decay` per window. A series that drifts again and again (a daily square
   * wave, a heavy-tailed counter) then needs a larger excursion to drift once more, while a
   * quiet series keeps the base thresholds. null disables it.
   */
  readonly adapt: { readonly step: number; readonly decay: number } | null;
  /**
   * Daily profile: the level gets a learned offset per time-of-day bin (`bins` per day, EWMA
   * weight `alpha`), used once the series has `minDays` days of history. null disables it.
   */
  readonly daily: { readonly bins: number; readonly alpha: number; readonly minDays: number } | null;
  /** Windows a drift stays open after its onset however quiet the series is. */
  readonly holdWindows: number;
  /** Consecutive quiet windows that end a drift. */
  readonly recoveryWindows: number;
  /** Drifting windows after which the drift is the new normal. */
  readonly rebaselineAfterWindows: number;
}

/** Which score raised a signal. */
export type AdaptiveScore = 'SPIKE' | 'SHIFT' | 'LIKELIHOOD';

/** Per-series numbers of the detector (JSON-safe: finite numbers only). */
export interface AdaptiveState {
  /** Windows learned into the baseline. */
  readonly n: number;
  readonly level: number;
  /** Slow reference level of the shift chart, and its estimation error Var(ref − μ)/σ² (1/n after warm-up, then the EWMA's). */
  readonly ref: number;
  readonly refVar: number;
  /** Robust σ estimate (mean absolute deviation × √(π/2)). */
  readonly scale: number;
  /** Welford sum of squares during warm-up. */
  readonly m2: number;
  /** Shift chart statistic. */
  readonly chart: number;
  /** Mean square of the chart statistic over in-control windows (σ² units; see `chartSelfScale`), and windows in it. */
  readonly cVar?: number;
  readonly cN?: number;
  /** Short average of the clipped |u| and the mean/variance of its history. */
  readonly sShort: number;
  readonly sMean: number;
  readonly sVar: number;
  /** Windows in the score history. */
  readonly sN: number;
  /** Daily profile offsets per time-of-day bin (empty when the profile is off), and the first window's time. */
  readonly day: readonly number[];
  readonly firstMs: number;
  /** Raise of this series' thresholds from its own recent onsets (see `adapt`). */
  readonly boost: number;
  /** Drift bookkeeping: windows since onset (0 = not drifting), consecutive quiet windows. */
  readonly driftWindows: number;
  readonly quiet: number;
  /** Welford over the drifting windows: the candidate new normal. */
  readonly dN: number;
  readonly dMean: number;
  readonly dM2: number;
}

/** A detector that has seen nothing. */
export const ADAPTIVE_RESET: AdaptiveState = Object.freeze({
  n: 0, level: 0, ref: 0, refVar: 1, scale: 0, m2: 0, chart: 0, sShort: 0, sMean: 0, sVar: 0, sN: 0, day: [], firstMs: 0, boost: 0, driftWindows: 0, quiet: 0, dN: 0, dMean: 0, dM2: 0,
});

/** What one window did. */
export interface AdaptiveStep {
  readonly state: AdaptiveState;
  /** Standardised residual of the window against the baseline it was judged on (0 while warming up). */
  readonly u: number;
  /** The score that signals in this window, if any (spike first, then shift, then likelihood). */
  readonly signal: AdaptiveScore | null;
  readonly phase: 'WARMUP' | 'NORMAL' | 'ONSET' | 'ONGOING' | 'QUIET' | 'RECOVERED' | 'REBASELINED';
  /** Baseline the window was judged against. */
  readonly level: number;
  readonly sd: number;
  /** Shift chart statistic and its limit, in σ units (0/0 when the chart is off). */
  readonly chart: number;
  readonly chartLimit: number;
}

const MAD_TO_SD = Math.sqrt(Math.PI / 2);

/** Upper tail of the standard normal (Abramowitz & Stegun 7.1.26 on erfc). */
export function normalTail(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(x * x) / 2);
  return x >= 0 ? erfc / 2 : 1 - erfc / 2;
}

/** The σ judged with: the learned scale, floored (a flat series would otherwise make any change infinite). */
export function floorScale(scale: number, level: number, minStdAbs: number, minStdRel: number): number {
  return Math.max(scale, minStdAbs, minStdRel * Math.abs(level));
}

/**
 * Whether the baseline is trustworthy: enough windows, and a noise estimate at all. A series
 * that has not varied yet (a counter at 0, a flat sensor) has no scale to judge a change
 * against — its first blip would be an infinite z — so it keeps learning until it has one.
 */
export function isTrusted(s: AdaptiveState, warmupWindows: number): boolean {
  return s.n >= warmupWindows && s.scale > 0;
}

const DAY_MS = 86_400_000;

/** The daily profile after seeing `x` at `tMs` against the level `level` (every window teaches it: it describes the series' day, drifting or not). */
function learnDay(s: AdaptiveState, x: number, tMs: number, cfg: AdaptiveDetectorConfig): readonly number[] {
  const d = cfg.daily;
  if (!d) return s.day;
  const day = s.day.length === d.bins ? [...s.day] : new Array<number>(d.bins).fill(0);
  const bin = dayBin(tMs, d.bins);
  day[bin] = day[bin]! + d.alpha * (x - s.level - day[bin]!);
  return day;
}

function dayBin(tMs: number, bins: number): number {
  return Math.min(bins - 1, Math.floor(((((tMs % DAY_MS) + DAY_MS) % DAY_MS) * bins) / DAY_MS));
}

/** The daily offset expected at `tMs` (0 until the profile has `minDays` of history). */
function dayOffset(s: AdaptiveState, tMs: number, cfg: AdaptiveDetectorConfig): number {
  const d = cfg.daily;
  if (!d || s.day.length !== d.bins || tMs - s.firstMs < d.minDays * DAY_MS) return 0;
  return s.day[dayBin(tMs, d.bins)]!;
}

function learnWarmup(s: AdaptiveState, x: number, tMs: number, cfg: AdaptiveDetectorConfig): AdaptiveState {
  const first = s.n === 0 ? { ...s, firstMs: tMs } : s;
  const withDay = { ...first, day: learnDay(first, x, tMs, cfg) };
  return learnWelford(withDay, x);
}

function learnWelford(s: AdaptiveState, x: number): AdaptiveState {
  const n = s.n + 1;
  const d = x - s.level;
  const level = s.level + d / n;
  const m2 = s.m2 + d * (x - level);
  return { ...s, n, level, ref: level, refVar: 1 / n, m2, scale: n > 1 ? Math.sqrt(m2 / (n - 1)) : 0 };
}

/**
 * One closed window. `warmupWindows` and the σ floor come from the engine's baseline
 * configuration so every detector shares them.
 */
export function adaptiveStep(s: AdaptiveState, x: number, tMs: number, cfg: AdaptiveDetectorConfig, warmupWindows: number, minStdAbs: number, minStdRel: number): AdaptiveStep {
  const chartSd = cfg.shift ? Math.sqrt(cfg.shift.lambda / (2 - cfg.shift.lambda)) : 0;
  if (!isTrusted(s, warmupWindows)) {
    const st = learnWarmup(s, x, tMs, cfg);
    return { state: st, u: 0, signal: null, phase: 'WARMUP', level: st.level, sd: floorScale(st.scale, st.level, minStdAbs, minStdRel), chart: 0, chartLimit: 0 };
  }
  const sd = floorScale(s.scale, s.level, minStdAbs, minStdRel);
  const bar = 1 + s.boost;
  const boost = cfg.adapt ? s.boost * (1 - cfg.adapt.decay) : 0;
  const expected = s.level + dayOffset(s, tMs, cfg);
  const u = (x - expected) / sd;
  const day = learnDay(s, x, tMs, cfg);
  const c = Math.max(-cfg.huber, Math.min(cfg.huber, u));
  const off = expected - s.level;
  const ur = (x - s.ref - off) / sd;
  const cr = Math.max(-cfg.huber, Math.min(cfg.huber, ur));
  const chart = cfg.shift ? cfg.shift.lambda * cr + (1 - cfg.shift.lambda) * s.chart : 0;
  // The chart also integrates the reference's own error (a constant offset of Var refVar·σ²): its limit is widened by it,
  // so a young reference (σ²/30 after warm-up, 63 % of the chart's own variance at λ = 0.1) does not read as a shift.
  const ownVar = cfg.chartSelfScale ? (s.cVar ?? 0) / cfg.chartSelfScale.margin : 0;
  const chartLimit = cfg.shift ? cfg.shift.L * Math.sqrt(Math.max(chartSd * chartSd + s.refVar, ownVar)) * bar : 0;
  const sShort = cfg.likelihood ? cfg.likelihood.shortAlpha * Math.abs(c) + (1 - cfg.likelihood.shortAlpha) * s.sShort : 0;
  let lik = false;
  if (cfg.likelihood && s.sN > 0) {
    const sdS = Math.sqrt(Math.max(s.sVar, 1e-12));
    lik = normalTail((sShort - s.sMean) / sdS / bar) < cfg.likelihood.tail;
  }
  const signal: AdaptiveScore | null = cfg.spikeZ > 0 && Math.abs(u) > cfg.spikeZ * bar ? 'SPIKE' : cfg.shift && s.n >= cfg.shiftWarmupWindows && Math.abs(chart) > chartLimit ? 'SHIFT' : lik ? 'LIKELIHOOD' : null;
  const judged = { u, signal, level: expected, sd, chart: chartSd > 0 ? chart / chartSd : 0, chartLimit: chartSd > 0 ? chartLimit / chartSd : 0 };

  if (s.driftWindows === 0) {
    if (signal) {
      return { ...judged, phase: 'ONSET', state: { ...s, day, chart, sShort, boost: cfg.adapt ? boost + cfg.adapt.step : 0, driftWindows: 1, quiet: 0, dN: 1, dMean: x, dM2: 0 } };
    }
    // Learn: Huber-clipped level and scale, and the history of the short score.
    const a = cfg.levelAlpha;
    const b = cfg.scaleAlpha;
    const level = s.level + a * c * sd;
    const ref = s.ref + cfg.refAlpha * cr * sd;
    const refVar = (1 - cfg.refAlpha) ** 2 * s.refVar + cfg.refAlpha ** 2;
    const scale = (1 - b) * s.scale + b * Math.abs(c) * sd * MAD_TO_SD;
    let { sMean, sVar, sN } = s;
    if (cfg.likelihood) {
      const w = Math.max(cfg.likelihood.longAlpha, 1 / (sN + 1));
      const d = sShort - sMean;
      sMean += w * d;
      sVar = (1 - w) * (sVar + w * d * d);
      sN = Math.min(sN + 1, 1e9);
    }
    let { cVar = 0, cN = 0 } = s;
    if (cfg.chartSelfScale && cfg.shift) {
      const w = Math.max(cfg.chartSelfScale.alpha, 1 / (cN + 1));
      cVar += w * (chart * chart - cVar);
      cN = Math.min(cN + 1, 1e9);
    }
    return { ...judged, phase: 'NORMAL', state: { ...s, day, n: s.n + 1, level, ref, refVar, scale, chart, cVar, cN, sShort, sMean, sVar, sN, boost } };
  }

  // Drifting: the baseline is frozen; the drifting windows build the candidate new normal.
  const dN = s.dN + 1;
  const dd = x - s.dMean;
  const dMean = s.dMean + dd / dN;
  const dM2 = s.dM2 + dd * (x - dMean);
  const driftWindows = s.driftWindows + 1;
  if (driftWindows >= cfg.rebaselineAfterWindows) {
    const scale = dN > 1 ? Math.sqrt(dM2 / (dN - 1)) : s.scale;
    // The new normal keeps the score history (it describes the series, not its level) but restarts the chart and short score.
    const st: AdaptiveState = { ...s, day, boost, level: dMean, ref: dMean, refVar: 1 / Math.max(1, dN), scale, chart: 0, sShort: s.sMean, driftWindows: 0, quiet: 0, dN: 0, dMean: 0, dM2: 0 };
    return { ...judged, phase: 'REBASELINED', state: st };
  }
  const quiet = signal ? 0 : s.quiet + 1;
  if (!signal && quiet >= cfg.recoveryWindows && driftWindows > cfg.holdWindows) {
    return { ...judged, phase: 'RECOVERED', state: { ...s, day, boost, chart: 0, sShort: s.sMean, driftWindows: 0, quiet: 0, dN: 0, dMean: 0, dM2: 0 } };
  }
  return { ...judged, phase: signal ? 'ONGOING' : 'QUIET', state: { ...s, day, boost, chart, sShort, driftWindows, quiet, dN, dMean, dM2 } };
}
