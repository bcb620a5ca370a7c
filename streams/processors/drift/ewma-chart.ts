/**
 * EWMA control chart (Roberts 1959; Lucas & Saccucci 1990) on standardised values
 * u = (x − μ0)/σ0: Z_t = λu_t + (1−λ)Z_{t−1}, Z_0 = 0, signal when |Z_t| exceeds
 * L·sqrt(λ/(2−λ)·(1−(1−λ)^{2t})) (exact, time-varying limits) or its asymptote. It sees
 * sustained shifts of ~1σ within ~10 windows where the |z|>3 rule needs hundreds.
 * For λ = 0.1, L = 2.814 the in-control ARL is 500 with asymptotic limits (L&S table);
 * exact limits give slightly more early alarms (≈ 470, simulated).
 *
 * Those figures hold for a known in-control mean. In the judge the chart runs on
 * u = (x − r)/σ, r the baseline's reference level, which is only an estimate: Z_t picks
 * up −λΣ(1−λ)^j η_{t−1−j}, η = r − μ. Right after a warm-up of 30 windows Var(η) = σ²/30,
 * which alone adds 63 % to the in-control variance of Z (0.0526σ² at λ = 0.1), so fixed
 * limits raise false alarms in the first hundreds of windows. `estimatedChartStep`
 * therefore tracks Var(Z_t) exactly for the linear system (Z, η) — η's variance is the
 * baseline's refLevelVar, and η moves by α_r·ε when the reference learns — and widens
 * the limit by sqrt(Var(Z_t) / Var_known(Z_t)). It has the known-parameter limit's shape
 * (asymptotic or exact) and tends to it as the reference settles. What it cannot undo
 * is the reference following the data (it decorrelates Z), which is why the default
 * referenceAlpha is small: measured in-control ARL through the judge ≈ 500 at 0.002.
 */

/** Chart parameters. */
export interface EwmaChartConfig {
  readonly lambda: number;
  readonly L: number;
  readonly limits: 'exact' | 'asymptotic';
}

/** Defaults: λ = 0.1, L = 2.814 (ARL0 ≈ 500). */
export const DEFAULT_EWMA_CHART: EwmaChartConfig = { lambda: 0.1, L: 2.814, limits: 'asymptotic' };

/** Chart state: statistic, steps since reset, and (estimated reference) Var(Z)/σ² and Cov(Z, η)/σ². */
export interface EwmaChartState {
  readonly z: number;
  readonly t: number;
  readonly pzz?: number;
  readonly pze?: number;
}

/** A freshly reset chart. */
export const CHART_RESET: EwmaChartState = Object.freeze({ z: 0, t: 0, pzz: 0, pze: 0 });

/** Var(Z_t)/σ² of the known-parameter chart: λ²(1−(1−λ)^{2t})/(1−(1−λ)²). */
function knownVariance(t: number, lambda: number): number {
  return (lambda / (2 - lambda)) * (1 - Math.pow(1 - lambda, 2 * t));
}

/** Control limit (in units of σ0) after `t` steps. */
export function chartLimit(t: number, cfg: EwmaChartConfig): number {
  const l = cfg.lambda;
  const f = cfg.limits === 'exact' ? 1 - Math.pow(1 - l, 2 * t) : 1;
  return cfg.L * Math.sqrt((l / (2 - l)) * f);
}

/** One chart step on a standardised value; `signal` when the statistic is outside its limit. */
export function chartStep(s: EwmaChartState, u: number, cfg: EwmaChartConfig): { state: EwmaChartState; limit: number; signal: boolean } {
  const t = s.t + 1;
  const z = cfg.lambda * u + (1 - cfg.lambda) * s.z;
  const limit = chartLimit(t, cfg);
  return { state: { z, t }, limit, signal: Math.abs(z) > limit };
}

/** What the chart needs to know about the reference it is judged against. */
export interface ChartReference {
  /** Var(reference level)/σ² before this step (the baseline's refLevelVar). */
  readonly levelVar: number;
  /** EWMA weight of the reference level. */
  readonly alpha: number;
  /** Whether the reference learns this window's value (not when it is held out or the series drifts). */
  readonly learns: boolean;
}

/**
 * One chart step on u = (x − r)/σ with an estimated reference r: the limit is widened by
 * the reference's estimation error (see the file comment); `signal` outside it.
 */
export function estimatedChartStep(s: EwmaChartState, u: number, ref: ChartReference, cfg: EwmaChartConfig): { state: EwmaChartState; limit: number; signal: boolean } {
  const t = s.t + 1;
  const l = cfg.lambda;
  const f = 1 - l;
  const k = ref.levelVar;
  // States written before the covariance existed: start from the known-parameter variance, no covariance.
  const pzz0 = s.pzz ?? knownVariance(s.t, l);
  const pze0 = s.pze ?? 0;
  // Z_t = fZ + λ(ε − η), η' = η + α_r(ε − η) when the reference learns, else η' = η (ε ~ N(0, 1), in σ units).
  const pzz = f * f * pzz0 + l * l * (1 + k) - 2 * f * l * pze0;
  const pze = ref.learns ? f * (1 - ref.alpha) * pze0 + l * ref.alpha - l * (1 - ref.alpha) * k : f * pze0 - l * k;
  const z = l * u + f * s.z;
  const limit = chartLimit(t, cfg) * Math.sqrt(pzz / knownVariance(t, l));
  return { state: { z, t, pzz, pze }, limit, signal: Math.abs(z) > limit };
}
