import { test } from 'node:test';
import assert from 'node:assert/strict';
import seedrandom from 'seedrandom';
import { mannWhitneyU, mannWhitneyUCounts, normalCdf } from '../../../streams/processors/canary/mann-whitney.ts';
import { emptySketch, sketchAdd, sketchValueCounts } from '../../../streams/processors/series/latency-sketch.ts';
import { DEFAULT_CANARY_JUDGE, judgeMetric } from '../../../streams/processors/canary/canary-judge.ts';
import { gaussian } from './fixtures.ts';

/** U by its definition: pairs with x > y, ties ½ (independent of ranking). */
function uByPairs(x: number[], y: number[]): number {
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u;
}

/** Exact permutation distribution of U over all splits of the pooled sample. */
function permutationU(x: number[], y: number[]): number[] {
  const pool = [...x, ...y];
  const n1 = x.length;
  const us: number[] = [];
  const pick: number[] = [];
  const rec = (start: number): void => {
    if (pick.length === n1) {
      const set = new Set(pick);
      us.push(uByPairs(pick.map((i) => pool[i]!), pool.filter((_, i) => !set.has(i))));
      return;
    }
    for (let i = start; i <= pool.length - (n1 - pick.length); i++) {
      pick.push(i);
      rec(i + 1);
      pick.pop();
    }
  };
  rec(0);
  return us;
}

test('normal CDF matches known values', () => {
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(normalCdf(-1.644854) - 0.05) < 1e-6);
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
});

test('U equals the pair-count definition, with ties', () => {
  const x = [3, 5, 5, 7, 9, 9, 12];
  const y = [1, 5, 6, 9, 9, 2];
  const r = mannWhitneyU(x, y);
  assert.equal(r.u, uByPairs(x, y));
});

test('tie-corrected z uses the exact permutation variance; p is close to the exact permutation p', () => {
  // Heavily tied data (values 1..4), n1 = n2 = 9: C(18, 9) = 48620 splits.
  const x = [2, 3, 3, 4, 4, 4, 2, 3, 4];
  const y = [1, 1, 2, 2, 3, 1, 2, 3, 4];
  const us = permutationU(x, y);
  const mean = us.reduce((a, b) => a + b, 0) / us.length;
  const variance = us.reduce((a, b) => a + (b - mean) ** 2, 0) / us.length;
  const r = mannWhitneyU(x, y);
  assert.ok(Math.abs(r.z - (r.u - mean) / Math.sqrt(variance)) < 1e-9, 'z = (U − E[U]) / sqrt(Var_perm[U])');
  const pExact = us.filter((u) => u >= r.u).length / us.length;
  assert.ok(Math.abs(r.pGreater - pExact) < 0.01, `normal approx ${r.pGreater} vs exact ${pExact}`);
  assert.ok(r.pGreater < 0.05, 'x is clearly larger');
});

test('no difference: p-values are roughly uniform (about 5 % below 0.05)', () => {
  const g = gaussian('mw-null');
  let rejections = 0;
  const trials = 400;
  for (let t = 0; t < trials; t++) {
    const x = Array.from({ length: 40 }, () => Math.round(g() * 3));
    const y = Array.from({ length: 50 }, () => Math.round(g() * 3));
    if (mannWhitneyU(x, y).pGreater < 0.05) rejections++;
  }
  // Binomial(400, 0.05): mean 20, sd 4.4.
  assert.ok(rejections >= 7 && rejections <= 34, `rejections ${rejections}`);
});

function lognormal(seed: string, n: number, medianMs: number): number[] {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => medianMs * Math.exp(0.3 * g()));
}

test('a canary with a real latency regression fails; one without passes', () => {
  const base = lognormal('base', 400, 40);
  const regressed = lognormal('canary-bad', 120, 40 * 1.5);
  const same = lognormal('canary-ok', 120, 40);
  const fail = judgeMetric('latency', regressed, base, DEFAULT_CANARY_JUDGE)!;
  const pass = judgeMetric('latency', same, base, DEFAULT_CANARY_JUDGE)!;
  assert.equal(fail.verdict, 'FAIL');
  assert.ok(fail.effectSize > 1.3 && fail.effectSize < 1.7, `ratio ${fail.effectSize}`);
  assert.equal(pass.verdict, 'PASS');
});

test('a small but significant latency increase is marginal, not a failure', () => {
  const base = lognormal('b2', 2000, 40);
  const slight = lognormal('c2', 2000, 40 * 1.08);
  assert.equal(judgeMetric('latency', slight, base, DEFAULT_CANARY_JUDGE)!.verdict, 'MARGINAL');
});

test('error-rate regression on 0/1 samples fails; too few samples give no verdict', () => {
  const rng = seedrandom('err');
  const base = Array.from({ length: 1000 }, () => (rng() < 0.01 ? 1 : 0));
  const canary = Array.from({ length: 300 }, () => (rng() < 0.08 ? 1 : 0));
  const j = judgeMetric('error_rate', canary, base, DEFAULT_CANARY_JUDGE)!;
  assert.equal(j.verdict, 'FAIL');
  assert.equal(judgeMetric('error_rate', canary.slice(0, 10), base, DEFAULT_CANARY_JUDGE), null);
});

test('the test on sketch buckets agrees with the test on raw latencies', () => {
  const base = lognormal('sk-b', 500, 40);
  const can = lognormal('sk-c', 150, 44);
  const bin = (xs: number[]) => xs.reduce((s, v) => sketchAdd(s, v), emptySketch());
  const raw = mannWhitneyU(can, base);
  const binned = mannWhitneyUCounts(sketchValueCounts(bin(can)), sketchValueCounts(bin(base)));
  assert.equal(binned.n1, 150);
  assert.equal(binned.n2, 500);
  // 1 % buckets turn near-equal values into ties: U moves by at most the pairs inside shared buckets.
  assert.ok(Math.abs(binned.z - raw.z) < 0.05, `z raw ${raw.z} vs binned ${binned.z}`);
  assert.equal(binned.pGreater < 0.05, raw.pGreater < 0.05);
});
