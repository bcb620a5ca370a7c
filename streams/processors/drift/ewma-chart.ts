/**
 * EWMA control chart (Roberts 1959; Lucas & Saccucci 1990) on standardised values
 * u = (x − μ0)/σ0: Z_t = λu_t + (1−λ)Z_{t−1}, Z_0 = 0, signal when |Z_t| exceeds
 * L·sqrt(λ/(2−λ)·(1−(1−λ)^{2t})) (exact, time-varying limits) or its asymptote. It sees
 * sustained shifts of ~1σ within ~10 windows where the |z|>3 rule needs hundreds.
 * For λ = 0.1, L = 2.814 the in-control ARL is 500 with asymptotic limits (L&S table);
 * exact limits give slightly more early alarms (≈ 490, simulated).
 */

/** Chart parameters. */
export interface EwmaChartConfig {
  readonly lambda: number;
  readonly L: number;
  readonly limits: 'exact' | 'asymptotic';
}

/** Defaults: λ = 0.1, L = 2.814 (ARL0 ≈ 500). */
export const DEFAULT_EWMA_CHART: EwmaChartConfig = { lambda: 0.1, L: 2.814, limits: 'asymptotic' };

/** Chart state: statistic and steps since reset. */
export interface EwmaChartState {
  readonly z: number;
  readonly t: number;
}

/** A freshly reset chart. */
export const CHART_RESET: EwmaChartState = Object.freeze({ z: 0, t: 0 });

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
