/**
 * Canary verdict record (`fmeaflow.canary-verdicts.v1`, schemas/canary-verdict.avsc):
 * one per release and metric per evaluation, comparing the canary cohort with the
 * baseline cohort.
 */

/** Verdict outcome. */
export type Verdict = 'PASS' | 'MARGINAL' | 'FAIL';

/** Metrics judged for a release. */
export type CanaryMetric = 'latency' | 'error_rate';

/** Value of `fmeaflow.canary-verdicts.v1`, key = `<releaseId>|<metric>`. */
export interface CanaryVerdictRecord {
  readonly releaseId: string;
  readonly service: string;
  readonly canaryVersion: string;
  readonly baselineVersion: string | null;
  readonly metric: CanaryMetric;
  readonly verdict: Verdict;
  readonly test: 'MANN_WHITNEY_U';
  readonly canarySamples: number;
  readonly baselineSamples: number;
  /** Latency: mean duration in ms (from the cohort's sketch buckets); error rate: share of failed spans. */
  readonly canaryValue: number;
  readonly baselineValue: number;
  /** Latency: canary mean / baseline mean; error rate: canary rate − baseline rate. */
  readonly effectSize: number;
  readonly uStatistic: number;
  /** One-sided p-value for "canary is worse". */
  readonly pValue: number;
  readonly confidence: number;
  readonly reason: string;
  /** True for the last verdict of a release (it was promoted, rolled back or ended). */
  readonly final: boolean;
  readonly evaluatedAtMs: number;
}
