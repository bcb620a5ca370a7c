/**
 * Mann-Whitney U test (Wilcoxon rank-sum) with average ranks for ties, the tie-corrected
 * variance n1·n2/12·((n+1) − Σ(t³−t)/(n(n−1))), continuity correction and the normal
 * approximation — the test Kayenta's classifier runs. Fine for the sample sizes a canary
 * has (tens to thousands); exact small-sample tables are not needed there.
 */

/** Test result; `x` is the canary (experiment) sample, `y` the baseline (control). */
export interface MannWhitneyResult {
  /** U of x: number of (x, y) pairs with x > y, ties counting ½. */
  readonly u: number;
  readonly z: number;
  /** One-sided p-value for "x tends to be larger than y". */
  readonly pGreater: number;
  /** One-sided p-value for "x tends to be smaller than y". */
  readonly pLess: number;
  readonly pTwoSided: number;
  readonly n1: number;
  readonly n2: number;
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** A sample as (value, count) pairs: raw samples, or the buckets of a sketch. */
export type ValueCounts = readonly (readonly [number, number])[];

/** Groups raw values into (value, count) pairs. */
export function toValueCounts(xs: readonly number[]): [number, number][] {
  const m = new Map<number, number>();
  for (const v of xs) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()];
}

/** Runs the test on raw samples; throws on empty samples. */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  return mannWhitneyUCounts(toValueCounts(x), toValueCounts(y));
}

/**
 * Runs the test on (value, count) samples — equal values are ties, so binned data (a
 * sketch's buckets) is tested exactly like raw data rounded to the bucket values, in
 * O(distinct values) instead of O(n log n).
 */
export function mannWhitneyUCounts(x: ValueCounts, y: ValueCounts): MannWhitneyResult {
  const n1 = x.reduce((a, [, c]) => a + c, 0);
  const n2 = y.reduce((a, [, c]) => a + c, 0);
  if (n1 === 0 || n2 === 0) throw new RangeError('Mann-Whitney U needs two non-empty samples');
  const merged = new Map<number, [number, number]>();
  for (const [v, c] of x) { const e = merged.get(v) ?? [0, 0]; e[0] += c; merged.set(v, e); }
  for (const [v, c] of y) { const e = merged.get(v) ?? [0, 0]; e[1] += c; merged.set(v, e); }
  const values = [...merged.keys()].sort((a, b) => a - b);
  const n = n1 + n2;
  let below = 0;
  let r1 = 0;
  let tieSum = 0;
  for (const v of values) {
    const [cx, cy] = merged.get(v)!;
    const t = cx + cy;
    // Ranks below+1 … below+t share their average.
    r1 += cx * (below + (t + 1) / 2);
    if (t > 1) tieSum += t * t * t - t;
    below += t;
  }
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const mu = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieSum / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, pGreater: 1, pLess: 1, pTwoSided: 1, n1, n2 };
  const sd = Math.sqrt(variance);
  const pGreater = 1 - normalCdf((u - mu - 0.5) / sd);
  const pLess = normalCdf((u - mu + 0.5) / sd);
  return { u, z: (u - mu) / sd, pGreater, pLess, pTwoSided: Math.min(1, 2 * Math.min(pGreater, pLess)), n1, n2 };
}
