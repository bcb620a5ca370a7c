/**
 * Canary judgement per metric, in the spirit of Kayenta's Mann-Whitney classifier: a
 * metric fails only when the canary is significantly worse (one-sided U test at the
 * configured confidence) AND the effect is large enough to matter; significant but
 * small effects are marginal; everything else passes. Requiring both keeps large
 * samples from failing releases over harmless differences.
 */
import { mannWhitneyUCounts, toValueCounts, type ValueCounts } from './mann-whitney.ts';
import type { CanaryMetric, Verdict } from './canary-types.ts';

/** Thresholds of the judgement. */
export interface CanaryJudgeConfig {
  /** Confidence of the one-sided test (0.95 → p < 0.05 is significant). */
  readonly confidence: number;
  /** Minimum samples per cohort before any verdict. */
  readonly minSamples: number;
  /** Latency: mean ratio (canary / baseline) at or above which a significant regression fails / is marginal. */
  readonly latencyFailRatio: number;
  readonly latencyMarginalRatio: number;
  /** Error rate: absolute increase at or above which a significant regression fails / is marginal. */
  readonly errorFailIncrease: number;
  readonly errorMarginalIncrease: number;
}

/** Defaults: 95 % confidence, 30 samples, fail at +20 % mean latency or +2 points error rate. */
export const DEFAULT_CANARY_JUDGE: CanaryJudgeConfig = {
  confidence: 0.95, minSamples: 30, latencyFailRatio: 1.2, latencyMarginalRatio: 1.05, errorFailIncrease: 0.02, errorMarginalIncrease: 0.005,
};

/** One metric's judgement. */
export interface MetricJudgement {
  readonly metric: CanaryMetric;
  readonly verdict: Verdict;
  readonly canaryValue: number;
  readonly baselineValue: number;
  readonly effectSize: number;
  readonly u: number;
  readonly pValue: number;
  readonly reason: string;
}

function total(s: ValueCounts): number {
  return s.reduce((a, [, c]) => a + c, 0);
}

function mean(s: ValueCounts): number {
  return s.reduce((a, [v, c]) => a + v * c, 0) / total(s);
}

/** Judges one metric on raw samples; null when a cohort has fewer than `minSamples` samples. */
export function judgeMetric(metric: CanaryMetric, canary: readonly number[], baseline: readonly number[], cfg: CanaryJudgeConfig): MetricJudgement | null {
  return judgeMetricCounts(metric, toValueCounts(canary), toValueCounts(baseline), cfg);
}

/** Judges one metric on (value, count) samples (sketch buckets for latency, 0/1 counts for errors). */
export function judgeMetricCounts(metric: CanaryMetric, canary: ValueCounts, baseline: ValueCounts, cfg: CanaryJudgeConfig): MetricJudgement | null {
  if (total(canary) < cfg.minSamples || total(baseline) < cfg.minSamples) return null;
  const t = mannWhitneyUCounts(canary, baseline);
  const alpha = 1 - cfg.confidence;
  const significant = t.pGreater < alpha;
  const isLatency = metric === 'latency';
  // Effect size on means: a service's latency pools operations of very different cost, and the
  // median of such a multi-modal mix jumps between modes from one evaluation to the next (seen on
  // the gray-release drive: ratio 2.7, 0.98, 2.7, …) while the U test itself stays significant.
  const cv = mean(canary);
  const bv = mean(baseline);
  const effect = isLatency ? (bv > 0 ? cv / bv : cv > 0 ? Number.POSITIVE_INFINITY : 1) : cv - bv;
  const fail = isLatency ? effect >= cfg.latencyFailRatio : effect >= cfg.errorFailIncrease;
  const marginal = isLatency ? effect >= cfg.latencyMarginalRatio : effect >= cfg.errorMarginalIncrease;
  const verdict: Verdict = significant && fail ? 'FAIL' : significant && marginal ? 'MARGINAL' : 'PASS';
  const eff = isLatency ? `mean ratio ${effect.toFixed(3)}` : `error rate ${(cv * 100).toFixed(2)}% vs ${(bv * 100).toFixed(2)}%`;
  const reason = significant ? `canary worse at p=${t.pGreater.toExponential(2)} < ${alpha.toFixed(3)}; ${eff}` : `no significant regression (p=${t.pGreater.toFixed(3)}); ${eff}`;
  return { metric, verdict, canaryValue: cv, baselineValue: bv, effectSize: effect, u: t.u, pValue: t.pGreater, reason };
}
