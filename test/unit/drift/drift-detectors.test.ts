import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeWindow, type SeriesState } from '../../../streams/processors/drift/series-judge.ts';
import { driftConfig } from '../../../streams/processors/drift/drift-config.ts';
import { chartStep, CHART_RESET, chartLimit, type EwmaChartConfig } from '../../../streams/processors/drift/ewma-chart.ts';
import type { DriftEvent } from '../../../streams/processors/drift/drift-types.ts';
import { createSeriesDriftProcessor } from '../../../streams/processors/drift/series-drift-processor.ts';
import { runStages } from '../../helpers/run-stages.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { createCanaryProcessor } from '../../../streams/processors/canary/canary-processor.ts';
import { judgementStd, referenceStd } from '../../../streams/processors/baseline/ewma-baseline.ts';
import { gauge, gaussian, points, T0 } from './fixtures.ts';

function run(values: number[], cfg = driftConfig({ adaptive: null })): { events: DriftEvent[]; states: SeriesState[] } {
  let st: SeriesState | undefined;
  const events: DriftEvent[] = [];
  const states: SeriesState[] = [];
  for (const p of points(values)) {
    const r = judgeWindow(st, p, cfg);
    st = r.state;
    states.push(st);
    events.push(...r.events);
  }
  return { events, states };
}

test('a 3σ step is flagged by the field rule after exactly 2 windows', () => {
  // Warm-up on alternating 9/11: mean 10, sample sd sqrt(40/39) after 40 windows (computed by hand below).
  const warm: number[] = Array.from({ length: 40 }, (_, i) => (i % 2 ? 11 : 9));
  const sd = Math.sqrt(40 / 39); // Welford sample variance of ±1 around 10 over 40 values
  // Default detectors (field rule + EWMA chart): the chart needs a 3rd window for a 3σ step (Z = 0.3, 0.57, 0.81 vs limit 0.645).
  const cfg = driftConfig({ adaptive: null, baseline: { warmupWindows: 40 } });
  const step = 10 + 3.01 * sd; // just beyond 3σ, so one window alone must not flag
  const { events } = run([...warm, step, step, step], cfg);
  const onset = events.filter((e) => e.phase === 'ONSET');
  assert.equal(onset.length, 1);
  assert.equal(onset[0]!.detector, 'Z_RULE');
  assert.equal(onset[0]!.windowStartMs, points(warm.concat([0, 0]))[41]!.windowStartMs, 'onset on the 2nd shifted window');
  assert.equal(onset[0]!.evidenceWindows, 2);
  assert.equal(onset[0]!.firstWindowStartMs, points(warm.concat([0]))[40]!.windowStartMs);
  assert.ok(Math.abs(onset[0]!.zScore - 3.01) < 1e-9, `z=${onset[0]!.zScore}`);
  assert.equal(onset[0]!.baselineMean, 10);
});

test('one 3σ outlier window does not flag and is not learned', () => {
  const warm: number[] = Array.from({ length: 40 }, (_, i) => (i % 2 ? 11 : 9));
  const cfg = driftConfig({ chart: null, baseline: { warmupWindows: 40 } });
  const { events, states } = run([...warm, 20, 10], cfg);
  assert.equal(events.length, 0);
  assert.equal(states[40]!.baseline.mean, 10, 'outlier held out of the baseline');
});

test('a 1σ sustained shift is caught by the EWMA chart; the field rule stays blind', () => {
  const g = gaussian('one-sigma');
  const pre = Array.from({ length: 300 }, () => g());
  const post = Array.from({ length: 60 }, () => 1 + g());
  const chartOnly = run([...pre, ...post], driftConfig({ zRule: null }));
  const zOnly = run([...pre, ...post], driftConfig({ chart: null }));
  const firstAfter = (evs: DriftEvent[]) => evs.find((e) => e.phase === 'ONSET' && e.windowStartMs >= points(pre)[299]!.windowEndMs);
  const c = firstAfter(chartOnly.events);
  assert.ok(c, 'chart detects the 1σ shift within 60 windows');
  assert.equal(c.detector, 'EWMA_CHART');
  const delay = (c.windowStartMs - points(pre)[299]!.windowEndMs) / 60_000 + 1;
  assert.ok(delay <= 40, `detection delay ${delay} windows (L&S ARL1 ≈ 10.3)`);
  assert.equal(firstAfter(zOnly.events), undefined, 'the |z|>3 ×2 rule misses it (P ≈ 0.02² per window)');
});

test('stationary Gaussian noise over 10k windows: the field rule raises no drift', () => {
  // Measured rate (bench/drift-false-alarms.ts, 100k windows): ≈ 0.7 false field-rule drifts per 10k windows with z in
  // units of the noise σ — the α = 0.2 level's own error (sd 0.33σ) is shared by consecutive windows, so the
  // known-parameter run length (0.0027² → ~137k windows) does not apply. One seeded 10k run, both configurations.
  const g = gaussian('stationary-10k');
  const values = Array.from({ length: 10_000 }, () => 50 + 5 * g());
  assert.equal(run(values, driftConfig({ chart: null })).events.filter((e) => e.phase === 'ONSET').length, 0);
  assert.equal(run(values, driftConfig({ adaptive: null })).events.filter((e) => e.phase === 'ONSET' && e.detector === 'Z_RULE').length, 0, 'default config: no field-rule drift');
});

test('EWMA chart in-control ARL matches Lucas & Saccucci (λ=0.1, L=2.814 → 500)', () => {
  // Known in-control parameters, asymptotic limits: the L&S table value is ARL0 = 500.
  const cfg: EwmaChartConfig = { lambda: 0.1, L: 2.814, limits: 'asymptotic' };
  const g = gaussian('arl');
  const runs = 1500;
  let total = 0;
  let sumSq = 0;
  for (let r = 0; r < runs; r++) {
    let s = CHART_RESET;
    let n = 0;
    for (;;) {
      n++;
      const step = chartStep(s, g(), cfg);
      s = step.state;
      if (step.signal) break;
    }
    total += n;
    sumSq += n * n;
  }
  const mean = total / runs;
  const se = Math.sqrt((sumSq / runs - mean * mean) / runs);
  assert.ok(Math.abs(mean - 500) < 3 * se, `ARL ${mean.toFixed(1)} vs 500 (SE ${se.toFixed(1)})`);
  // Run lengths of an in-control chart are near-geometric: SD ≈ mean.
  assert.ok(se * Math.sqrt(runs) > 0.8 * mean);
});

test('exact limits start narrow and converge to the asymptote', () => {
  const ex: EwmaChartConfig = { lambda: 0.1, L: 2.814, limits: 'exact' };
  assert.ok(Math.abs(chartLimit(1, ex) - 2.814 * 0.1) < 1e-12, 'step 1: L·λ (sqrt(λ/(2−λ)·(1−(1−λ)²)) = λ)');
  assert.ok(Math.abs(chartLimit(500, ex) - 2.814 * Math.sqrt(0.1 / 1.9)) < 1e-9);
});

test('a drifting series is not learned; after N drifting windows it is re-baselined from them', () => {
  const warm = Array.from({ length: 30 }, (_, i) => (i % 2 ? 11 : 9));
  const cfg = driftConfig({ chart: null, rebaselineAfterWindows: 10 });
  const { events, states } = run([...warm, ...Array(12).fill(30)], cfg);
  const phases = events.map((e) => e.phase);
  // Windows 31 and 32 (1-based) are the 2 |z| windows; onset on 32; 10 drifting windows → re-baseline at 41.
  assert.equal(phases[0], 'ONSET');
  assert.equal(phases.filter((p) => p === 'ONGOING').length, 8);
  assert.equal(phases[phases.length - 1], 'REBASELINED');
  assert.equal(events[events.length - 1]!.windowStartMs, points(Array(41).fill(0))[40]!.windowStartMs);
  for (let i = 31; i < 40; i++) assert.equal(states[i]!.baseline.mean, 10, `frozen at window ${i + 1}`);
  const after = states[40]!;
  assert.equal(after.drift, null);
  assert.equal(after.baseline.mean, 30, 'mean of the 10 drifting windows (all 30)');
  // The 42nd window (30 again) is normal now.
  assert.equal(states[41]!.drift, null);
});

test('a drift recovers after the quiet windows and the baseline resumes learning', () => {
  const warm = Array.from({ length: 30 }, (_, i) => (i % 2 ? 11 : 9));
  const cfg = driftConfig({ chart: null, recoveryWindows: 2 });
  const { events, states } = run([...warm, 20, 20, 20, 10, 10, 11], cfg);
  assert.deepEqual(events.map((e) => e.phase), ['ONSET', 'ONGOING', 'RECOVERED']);
  assert.equal(states[33]!.baseline.mean, 10, 'quiet window inside the drift is not learned');
  assert.notEqual(states[35]!.baseline.mean, states[34]!.baseline.mean, 'learning again after recovery');
});

test('default configuration: the chart false-alarm rate through the full judge matches its ARL0 of 500 (λ=0.1, L=2.814)', () => {
  // What production sees: 50 series × 10k windows of N(50, 5²), each with its own 30-window warm-up and the estimated,
  // slowly adapting reference. Run lengths of an in-control chart are near-geometric (SD ≈ mean), so the SE of the
  // measured ARL is ≈ ARL/√alarms (≈ 1000 alarms → ≈ 3 %); ±3 SE. Before the chart accounted for the reference's
  // estimation error and the default referenceAlpha went 0.01 → 0.002 this measured ≈ 656.
  const cfg = driftConfig({ adaptive: null });
  let alarms = 0;
  let fieldAlarms = 0;
  let normal = 0;
  for (let sIdx = 0; sIdx < 50; sIdx++) {
    const g = gaussian(`judge-arl-${sIdx}`);
    let st: SeriesState | undefined;
    for (const p of points(Array.from({ length: 10_000 }, () => 50 + 5 * g()))) {
      if (st && !st.drift && st.baseline.n >= cfg.baseline.warmupWindows) normal++;
      const r = judgeWindow(st, p, cfg);
      st = r.state;
      alarms += r.events.filter((e) => e.phase === 'ONSET' && e.detector === 'EWMA_CHART').length;
      fieldAlarms += r.events.filter((e) => e.phase === 'ONSET' && e.detector === 'Z_RULE').length;
    }
  }
  const arl = normal / alarms;
  const se = arl / Math.sqrt(alarms);
  assert.ok(Math.abs(arl - 500) < 3 * se, `in-control windows per chart false drift ${arl.toFixed(0)} ± ${se.toFixed(0)} (${alarms} alarms)`);
  // The field rule on the same 500k windows: the bench measures ≈ 0.7 false drifts per 10k (≈ 35 expected here, Poisson
  // 3σ ≈ 53); a bound of 1.2 per 10k catches a σ̂ that is a few per cent too small, which doubles the rate.
  const fieldPer10k = (fieldAlarms / normal) * 10_000;
  assert.ok(fieldPer10k < 1.2, `field rule false drifts per 10k in-control windows: ${fieldPer10k.toFixed(2)} (${fieldAlarms})`);
});

test('after a long stationary run the baseline σ is the noise σ (not the inflated one-step prediction error)', () => {
  // 20 series × 5000 windows of N(50, 5²), field rule on (so its hold-outs count). The EWMA of (x − m)² alone settles
  // at σ²·2/(2−α) = 1.11σ² (α = 0.2); holding |z| > 3 windows out truncates it by 4 %. Both are corrected.
  // SE of the mean over ~90k windows of an EWMA estimate ≈ √(2/90k)·√(autocorrelation ≈ 1) ≈ 0.5 %; the remaining
  // ≈ 1 % low comes from the hold-out cut using the estimated σ. Bound ±2.5 %: the old 1.067 and the truncated 0.94 fail it.
  const cfg = driftConfig({ chart: null });
  let sum = 0;
  let n = 0;
  for (let sIdx = 0; sIdx < 20; sIdx++) {
    const g = gaussian(`sigma-${sIdx}`);
    let st: SeriesState | undefined;
    for (const [i, p] of points(Array.from({ length: 5000 }, () => 50 + 5 * g())).entries()) {
      st = judgeWindow(st, p, cfg).state;
      if (i >= 500 && !st.drift) { sum += st.baseline.variance; n++; }
    }
  }
  const ratio = sum / n / 25;
  assert.ok(Math.abs(ratio - 1) < 0.025, `mean learned variance / σ² = ${ratio.toFixed(4)}`);
});

test('a step after 500 stationary windows reads in units of the noise σ and is flagged on exactly the 2nd window', () => {
  // After a long run the level m is off by η ~ N(0, α/(2−α)·σ²), sd 0.33σ at α = 0.2, and σ̂ by a few %. A step of δσ
  // plus fresh noise ε gives z ≈ δ + ε − η: a 3σ step clears |z| > 3 in a window only half of the time, and the rule
  // needs it twice. So the exact check uses constructed (noise-free) step windows of 4σ and 5σ, where z ≈ δ − η misses
  // 3 only if η > 1σ (3 sd, P ≈ 0.1 %) resp. 2σ; and the σ units are checked on the mean z over 400 long runs.
  const cfg = driftConfig({ chart: null });
  const g = gaussian('long-run-step');
  const warm = Array.from({ length: 500 }, () => 50 + 5 * g());
  for (const delta of [4, 5]) {
    const { events } = run([...warm, 50 + 5 * delta, 50 + 5 * delta, 50 + 5 * delta], cfg);
    const onsets = events.filter((e) => e.phase === 'ONSET');
    assert.equal(onsets.length, 1, `${delta}σ`);
    assert.equal(onsets[0]!.windowStartMs, points(Array(502).fill(0))[501]!.windowStartMs, `${delta}σ: onset on the 2nd step window`);
    assert.equal(onsets[0]!.evidenceWindows, 2);
  }
  // Mean z of a 4σ step over 400 independent runs: E[z] ≈ 4·E[σ/σ̂] ≈ 4.04 (σ̂ ≈ 0.5 % low, and Jensen on 1/σ̂ with its
  // ≈ 7 % sd adds 0.5 %). Bound: 4.04 ± (3 SE + 1 % for the σ̂ residual). With σ̂ 5 % too large it read ≈ 3.85.
  const zs: number[] = [];
  for (let r = 0; r < 400; r++) {
    const gr = gaussian(`long-run-z-${r}`);
    let st: SeriesState | undefined;
    for (const p of points(Array.from({ length: 500 }, () => 50 + 5 * gr()))) st = judgeWindow(st, p, cfg).state;
    zs.push((50 + 5 * 4 - st!.baseline.mean) / judgementStd(st!.baseline, cfg.baseline));
  }
  const mean = zs.reduce((a, b) => a + b, 0) / zs.length;
  const se = Math.sqrt(zs.reduce((a, b) => a + (b - mean) ** 2, 0) / (zs.length - 1) / zs.length);
  assert.ok(Math.abs(mean - 4.04) < 3 * se + 0.04, `mean z of a 4σ step ${mean.toFixed(3)} ± ${se.toFixed(3)}`);
});

test('a chart drift names the reference it was judged against, not the fast level', () => {
  const g = gaussian('one-sigma');
  const values = [...Array.from({ length: 300 }, () => g()), ...Array.from({ length: 60 }, () => 1 + g())];
  const cfg = driftConfig({ zRule: null });
  const { events, states } = run(values, cfg);
  const i = events.findIndex((e) => e.phase === 'ONSET' && e.detector === 'EWMA_CHART' && e.windowStartMs >= points(values)[300]!.windowStartMs);
  assert.ok(i >= 0);
  const e = events[i]!;
  const before = states[(e.windowStartMs - T0) / 60_000 - 1]!.baseline;
  assert.equal(e.baselineMean, before.refMean);
  assert.equal(e.baselineStdDev, referenceStd(before, cfg.baseline));
  assert.ok(Math.abs(e.zScore - (e.value - e.baselineMean) / e.baselineStdDev) < 1e-12);
  assert.notEqual(e.baselineMean, before.mean, 'the fast level has already moved towards the shifted values');
  assert.ok(e.chartStatistic! > e.chartLimit!, 'chart statistic and its limit are reported alongside');
});

test('idle series expire: state deleted and the compacted baseline tombstoned', () => {
  const p = createSeriesDriftProcessor({ window: { windowMs: 60_000 }, drift: { baseline: { idleExpiryMs: 3_600_000 } }, allowedLatenessMs: 0 });
  const feed = [0, 1, 2].map((m) => ({ topic: Topics.metrics, key: 'V', value: gauge('temp', T0 + m * 60_000 + 1, 20) }));
  const early = runStages([p], feed, { flushUntilMs: T0 + 3 * 60_000 + 3_599_999 });
  assert.ok(early.outputs.every((o) => o.value !== null), 'not yet idle for 1 h');
  const r = runStages([p], feed, { flushUntilMs: T0 + 3 * 60_000 + 3_600_000 });
  const tomb = r.outputs.filter((o) => o.topic === Topics.baselines && o.value === null).map((o) => o.key).sort();
  assert.deepEqual(tomb, ['temp.last{}@fleet', 'temp.mean{}@fleet']);
  assert.equal([...r.stores.get('series-drift')!.keys()].length, 0);
});

test('out-of-range configuration is refused up front with BAD_CONFIG naming the field', () => {
  const isBad = (field: RegExp) => (e: unknown) => e instanceof FmeaflowError && e.code === ErrorCodes.BAD_CONFIG && field.test(e.message);
  assert.throws(() => driftConfig({ baseline: { alpha: 0 } }), isBad(/baseline\.alpha/));
  assert.throws(() => driftConfig({ zRule: null, chart: null }), isBad(/cannot both be disabled/));
  assert.throws(() => driftConfig({ rebaselineAfterWindows: 1 }), isBad(/rebaselineAfterWindows/));
  assert.throws(() => createSeriesDriftProcessor({ window: { windowMs: 0 } }), isBad(/window size/));
  assert.throws(() => createCanaryProcessor({ judge: { confidence: 1.5 } }), isBad(/confidence/));
});

test('a per-series noise floor: a quantised flat sensor does not drift on a one-quantum blip, a real shift still does', () => {
  // A 1 °C-resolution temperature that sat at 25 °C through warm-up: its learned σ is 0.
  const warm = Array.from({ length: 30 }, () => 25);
  const blip = [...warm, 26, 26, 25, 25, 25, 25, 25, 25];
  const defaults = driftConfig({ adaptive: null, baseline: { warmupWindows: 30 } });
  assert.ok(run(blip, defaults).events.some((e) => e.phase === 'ONSET'), 'without a floor a two-window blip of one quantum is a drift (the problem)');
  // Floor = the resolution. (A step of one quantum that *stays* is a 1σ sustained shift, which the EWMA chart is
  // built to catch; the floor only stops flat series from turning every quantum into a huge z.)
  const floored = driftConfig({ adaptive: null, baseline: { warmupWindows: 30 }, noiseFloors: new Map([['x', 1]]) });
  assert.deepEqual(run(blip, floored).events.filter((e) => e.phase === 'ONSET'), [], 'a one-quantum blip is noise');
  const shift = run([...warm, 29, 29, 29], floored).events.filter((e) => e.phase === 'ONSET');
  assert.equal(shift.length, 1, 'a 4 °C shift is 4 floors: still a drift');
  assert.equal(shift[0]!.detector, 'Z_RULE');
  assert.ok(Math.abs(shift[0]!.zScore - 4) < 1e-9, `z = 4 °C / 1 °C floor, got ${shift[0]!.zScore}`);
  // The floor applies to its series only.
  const other = driftConfig({ adaptive: null, baseline: { warmupWindows: 30 }, noiseFloors: new Map([['y', 1]]) });
  assert.ok(run(blip, other).events.some((e) => e.phase === 'ONSET'));
  // A gauge's window series (temp.mean, temp.last) share its unit and its floor; its rate (per second) does not.
  const named = (name: string, cfg: ReturnType<typeof driftConfig>): DriftEvent[] => {
    let st: SeriesState | undefined;
    const events: DriftEvent[] = [];
    for (const p of points(blip)) {
      const r = judgeWindow(st, { ...p, name, seriesId: `${name}{}@fleet` }, cfg);
      st = r.state;
      events.push(...r.events);
    }
    return events.filter((e) => e.phase === 'ONSET');
  };
  const temp = driftConfig({ adaptive: null, baseline: { warmupWindows: 30 }, noiseFloors: new Map([['temp', 1]]) });
  assert.deepEqual(named('temp.mean', temp), []);
  assert.deepEqual(named('temp.last', temp), []);
  assert.equal(named('temp.rate', temp).length, 1);
});

test('a noise floor that is not a positive number is refused when the processor is created', () => {
  assert.throws(() => driftConfig({ noiseFloors: new Map([['x', 0]]) }), (e: unknown) => e instanceof FmeaflowError && e.code === ErrorCodes.BAD_CONFIG && /noiseFloors\["x"\]/.test(e.message));
});
