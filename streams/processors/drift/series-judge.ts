/**
 * Judges one closed window of one series against its baseline and updates both.
 * The baseline learns only from windows no detector objects to: a single |z| > 3
 * outlier is held out (the variance is corrected for the truncation, see `learn`), and a drifting series is not learned at all until it either
 * recovers or has drifted for `rebaselineAfterWindows` windows, at which point the
 * drift is the new normal and the baseline is re-learned from those windows (kept in
 * a buffer bounded by that count).
 */
import type { SeriesPoint } from '../series/series-types.ts';
import { emptyBaseline, isWarmingUp, judgementStd, learn, rebaseline, referenceStd, refLevelVarOf, type BaselineState } from '../baseline/ewma-baseline.ts';
import { CHART_RESET, estimatedChartStep, type EwmaChartState } from './ewma-chart.ts';
import { seriesDriftConfig, type DriftConfig } from './drift-config.ts';
import type { BaselineRecord, DriftDetector, DriftEvent, DriftPhase } from './drift-types.ts';
import { ADAPTIVE_RESET, adaptiveStep, floorScale, isTrusted, type AdaptiveState } from './adaptive-detector.ts';

/** An ongoing drift. */
export interface DriftEpisode {
  readonly sinceMs: number;
  readonly detector: DriftDetector;
  readonly windows: number;
  readonly quiet: number;
  /** Values of the drifting windows (bounded by rebaselineAfterWindows). */
  readonly recent: readonly number[];
}

/** Everything kept per series. */
export interface SeriesState {
  readonly seriesId: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly scope: string;
  readonly baseline: BaselineState;
  readonly zRun: number;
  readonly zRunStartMs: number;
  readonly chart: EwmaChartState;
  readonly chartRunStartMs: number;
  readonly drift: DriftEpisode | null;
  readonly lastWindowEndMs: number;
  /** The adaptive detector's numbers (when the config uses it). */
  readonly adaptive?: AdaptiveState;
}

/** Outcome of judging one window. */
export interface JudgeResult {
  readonly state: SeriesState;
  readonly baseline: BaselineRecord;
  readonly events: readonly DriftEvent[];
  /** True when the window was older than the last judged one and ignored. */
  readonly stale: boolean;
}

function fresh(p: SeriesPoint): SeriesState {
  return {
    seriesId: p.seriesId, name: p.name, labels: p.labels, scope: p.scope, baseline: emptyBaseline(),
    zRun: 0, zRunStartMs: p.windowStartMs, chart: CHART_RESET, chartRunStartMs: p.windowStartMs, drift: null, lastWindowEndMs: Number.NEGATIVE_INFINITY,
  };
}

/** The baseline record to publish for a state. */
export function baselineRecord(s: SeriesState, cfg: DriftConfig): BaselineRecord {
  if (cfg.adaptive) {
    const a = s.adaptive ?? ADAPTIVE_RESET;
    const sd = floorScale(a.scale, a.level, cfg.baseline.minStdAbs, cfg.baseline.minStdRel);
    return {
      seriesId: s.seriesId, name: s.name, labels: s.labels, scope: s.scope,
      mean: a.level, stdDev: sd, referenceMean: a.ref, referenceStdDev: sd, windowsLearned: a.n, warmingUp: !isTrusted(a, cfg.baseline.warmupWindows),
      status: s.drift ? 'DRIFTING' : 'NORMAL', driftSinceMs: s.drift?.sinceMs ?? null, alpha: cfg.adaptive.levelAlpha, lastWindowEndMs: s.lastWindowEndMs,
    };
  }
  return {
    seriesId: s.seriesId, name: s.name, labels: s.labels, scope: s.scope,
    mean: s.baseline.mean, stdDev: Math.sqrt(s.baseline.variance), referenceMean: s.baseline.refMean, referenceStdDev: Math.sqrt(s.baseline.refVariance),
    windowsLearned: s.baseline.n, warmingUp: isWarmingUp(s.baseline, cfg.baseline),
    status: s.drift ? 'DRIFTING' : 'NORMAL', driftSinceMs: s.drift?.sinceMs ?? null, alpha: cfg.baseline.alpha, lastWindowEndMs: s.lastWindowEndMs,
  };
}

/** Judges one window; pure. The published baseline carries the judged value (the live view draws the series from it). */
export function judgeWindow(prev: SeriesState | undefined, p: SeriesPoint, configured: DriftConfig): JudgeResult {
  const r = judge(prev, p, configured);
  return r.stale ? r : { ...r, baseline: { ...r.baseline, value: Number.isFinite(p.value) ? p.value : null } };
}

function judge(prev: SeriesState | undefined, p: SeriesPoint, configured: DriftConfig): JudgeResult {
  const cfg = seriesDriftConfig(configured, p.name);
  const s0 = prev ?? fresh(p);
  if (p.windowEndMs <= s0.lastWindowEndMs) return { state: s0, baseline: baselineRecord(s0, cfg), events: [], stale: true };
  if (cfg.adaptive) return judgeAdaptive(s0, p, cfg);
  const x = p.value;
  const b = s0.baseline;
  const base = { ...s0, lastWindowEndMs: p.windowEndMs };

  if (isWarmingUp(b, cfg.baseline)) {
    const st: SeriesState = { ...base, baseline: learn(b, x, cfg.baseline), chart: CHART_RESET, chartRunStartMs: p.windowEndMs };
    return { state: st, baseline: baselineRecord(st, cfg), events: [], stale: false };
  }

  const sd = judgementStd(b, cfg.baseline);
  const z = (x - b.mean) / sd;
  const zSignal = cfg.zRule !== null && Math.abs(z) > cfg.zRule.threshold;
  const zRun = zSignal ? s0.zRun + 1 : 0;
  const zRunStartMs = zSignal && s0.zRun === 0 ? p.windowStartMs : s0.zRunStartMs;
  const zFired = cfg.zRule !== null && zRun >= cfg.zRule.consecutive;

  let chart = s0.chart;
  let chartRunStartMs = s0.chartRunStartMs;
  let chartSignal = false;
  let limit: number | null = null;
  if (cfg.chart) {
    const u = (x - b.refMean) / referenceStd(b, cfg.baseline);
    const learns = !s0.drift && !zSignal;
    const r = estimatedChartStep(s0.chart, u, { levelVar: refLevelVarOf(b, cfg.baseline), alpha: cfg.baseline.referenceAlpha, learns }, cfg.chart);
    // The excursion starts where the statistic last changed sign.
    if (Math.sign(r.state.z) !== Math.sign(s0.chart.z)) chartRunStartMs = p.windowStartMs;
    chart = r.state;
    chartSignal = r.signal;
    limit = r.limit;
  }

  const event = (phase: DriftPhase, detector: DriftDetector, episode: DriftEpisode | null, ref: BaselineState): DriftEvent => {
    const zEvidence = detector === 'Z_RULE';
    // Each detector judges against its own baseline: the field rule the fast level, the chart the slow reference.
    const level = zEvidence ? ref.mean : ref.refMean;
    const sd = zEvidence ? judgementStd(ref, cfg.baseline) : referenceStd(ref, cfg.baseline);
    return {
      eventId: `${p.seriesId}#${p.windowStartMs}#${phase}`, seriesId: p.seriesId, name: p.name, labels: p.labels, scope: p.scope,
      detector, phase, value: x, baselineMean: level, baselineStdDev: sd, zScore: (x - level) / sd,
      chartStatistic: cfg.chart ? chart.z : null, chartLimit: limit,
      windowStartMs: p.windowStartMs, windowEndMs: p.windowEndMs,
      firstWindowStartMs: zEvidence ? zRunStartMs : chartRunStartMs,
      evidenceWindows: zEvidence ? zRun : Math.max(1, Math.round((p.windowStartMs - chartRunStartMs) / (p.windowEndMs - p.windowStartMs)) + 1),
      driftWindows: episode?.windows ?? 0, windowMs: p.windowEndMs - p.windowStartMs,
    };
  };

  if (!s0.drift) {
    if (zFired || chartSignal) {
      const detector: DriftDetector = zFired ? 'Z_RULE' : 'EWMA_CHART';
      const episode: DriftEpisode = { sinceMs: p.windowStartMs, detector, windows: 1, quiet: 0, recent: [x] };
      const st: SeriesState = { ...base, zRun, zRunStartMs, chart, chartRunStartMs, drift: episode };
      return { state: st, baseline: baselineRecord(st, cfg), events: [event('ONSET', detector, episode, b)], stale: false };
    }
    const st: SeriesState = { ...base, zRun, zRunStartMs, chart, chartRunStartMs, baseline: zSignal ? b : learn(b, x, cfg.baseline, cfg.zRule?.threshold ?? null) };
    return { state: st, baseline: baselineRecord(st, cfg), events: [], stale: false };
  }

  const d = s0.drift;
  const still = zSignal || chartSignal;
  const recent = [...d.recent, x].slice(-cfg.rebaselineAfterWindows);
  if (still) {
    const episode: DriftEpisode = { ...d, windows: d.windows + 1, quiet: 0, recent };
    if (episode.windows >= cfg.rebaselineAfterWindows) {
      const nb = rebaseline(recent, b);
      const st: SeriesState = { ...base, baseline: nb, zRun: 0, zRunStartMs: p.windowEndMs, chart: CHART_RESET, chartRunStartMs: p.windowEndMs, drift: null };
      return { state: st, baseline: baselineRecord(st, cfg), events: [event('REBASELINED', d.detector, episode, b)], stale: false };
    }
    const st: SeriesState = { ...base, zRun, zRunStartMs, chart, chartRunStartMs, drift: episode };
    const detector: DriftDetector = zSignal ? 'Z_RULE' : 'EWMA_CHART';
    return { state: st, baseline: baselineRecord(st, cfg), events: [event('ONGOING', detector, episode, b)], stale: false };
  }
  const quiet = d.quiet + 1;
  if (quiet >= cfg.recoveryWindows) {
    const st: SeriesState = { ...base, zRun: 0, zRunStartMs: p.windowEndMs, chart: CHART_RESET, chartRunStartMs: p.windowEndMs, drift: null };
    return { state: st, baseline: baselineRecord(st, cfg), events: [event('RECOVERED', d.detector, d, b)], stale: false };
  }
  const st: SeriesState = { ...base, zRun, zRunStartMs, chart, chartRunStartMs, drift: { ...d, quiet, recent } };
  return { state: st, baseline: baselineRecord(st, cfg), events: [], stale: false };
}

const ADAPTIVE_DETECTOR: Record<string, DriftDetector> = { SPIKE: 'SPIKE', SHIFT: 'SHIFT', LIKELIHOOD: 'LIKELIHOOD' };

const QUANTILE_SUFFIX = /\.p(50|95|99)$/;

/** Samples a window needs before its quantile series means what it says: 1/(1 − q) (p95: 20, p99: 100, p50: 2). */
export function minSamplesOf(seriesName: string): number {
  const m = QUANTILE_SUFFIX.exec(seriesName);
  return m ? Math.round(1 / (1 - Number(m[1]) / 100)) : 0;
}

/**
 * The σ below which an observation rate (`<histogram>.count_rate`, events per second) cannot be known: counting
 * noise, √(rate·w)/w for a window of w seconds (Poisson). A steady simulator can teach a baseline a far smaller σ,
 * and then one window with a few events fewer reads as a drift; 0 for other series.
 */
export function countingNoise(seriesName: string, level: number, windowMs: number): number {
  if (!seriesName.endsWith('.count_rate') || !(windowMs > 0)) return 0;
  const w = windowMs / 1000;
  return Math.sqrt(Math.max(Math.abs(level), 1 / w) / w);
}

/** Judges one window with the adaptive detector (the default). */
function judgeAdaptive(s0: SeriesState, p: SeriesPoint, cfg: DriftConfig): JudgeResult {
  const ad = cfg.adaptive!;
  // A non-finite value carries no information about the series and would poison every estimate: the window is skipped.
  if (!Number.isFinite(p.value)) {
    const st: SeriesState = { ...s0, lastWindowEndMs: p.windowEndMs };
    return { state: st, baseline: baselineRecord(st, cfg), events: [], stale: false };
  }
  // A window quantile from fewer samples than it needs (20 for a p95) is the window's maximum, not its p95: it says
  // nothing about the series, so it is neither judged nor learned (a p95 of a handful of spans drifted on healthy drives).
  if (p.sampleCount < minSamplesOf(p.name)) {
    const st: SeriesState = { ...s0, lastWindowEndMs: p.windowEndMs };
    return { state: st, baseline: baselineRecord(st, cfg), events: [], stale: false };
  }
  const windowMs = p.windowEndMs - p.windowStartMs;
  const minStdAbs = Math.max(cfg.baseline.minStdAbs, countingNoise(p.name, s0.adaptive?.level ?? 0, windowMs));
  const r = adaptiveStep(s0.adaptive ?? ADAPTIVE_RESET, p.value, p.windowStartMs, ad, cfg.baseline.warmupWindows, minStdAbs, cfg.baseline.minStdRel);
  // The shift chart's excursion starts where its statistic last changed sign.
  const chartRunStartMs = r.phase === 'WARMUP' || Math.sign(r.state.chart) !== Math.sign(s0.adaptive?.chart ?? 0) ? p.windowStartMs : s0.chartRunStartMs;
  const detector: DriftDetector = r.signal ? ADAPTIVE_DETECTOR[r.signal]! : s0.drift?.detector ?? 'SPIKE';
  let drift: DriftEpisode | null = s0.drift;
  if (r.phase === 'ONSET') drift = { sinceMs: p.windowStartMs, detector, windows: 1, quiet: 0, recent: [] };
  else if (r.phase === 'ONGOING' || r.phase === 'QUIET') drift = drift ? { ...drift, windows: drift.windows + 1, quiet: r.phase === 'QUIET' ? drift.quiet + 1 : 0 } : drift;
  else if (r.phase === 'RECOVERED' || r.phase === 'REBASELINED') drift = null;
  const st: SeriesState = { ...s0, adaptive: r.state, chartRunStartMs, drift, lastWindowEndMs: p.windowEndMs };
  const phase: DriftPhase | null = r.phase === 'ONSET' || r.phase === 'ONGOING' || r.phase === 'RECOVERED' || r.phase === 'REBASELINED' ? r.phase : null;
  if (!phase) return { state: st, baseline: baselineRecord(st, cfg), events: [], stale: false };
  const shift = detector === 'SHIFT';
  const event: DriftEvent = {
    eventId: `${p.seriesId}#${p.windowStartMs}#${phase}`, seriesId: p.seriesId, name: p.name, labels: p.labels, scope: p.scope,
    detector, phase, value: p.value, baselineMean: r.level, baselineStdDev: r.sd, zScore: r.u,
    chartStatistic: ad.shift ? r.chart : null, chartLimit: ad.shift ? r.chartLimit : null,
    windowStartMs: p.windowStartMs, windowEndMs: p.windowEndMs,
    firstWindowStartMs: shift ? chartRunStartMs : p.windowStartMs,
    evidenceWindows: shift ? Math.max(1, Math.round((p.windowStartMs - chartRunStartMs) / windowMs) + 1) : 1,
    driftWindows: (phase === 'RECOVERED' || phase === 'REBASELINED' ? s0.drift?.windows : drift?.windows) ?? 0, windowMs,
  };
  return { state: st, baseline: baselineRecord(st, cfg), events: [event], stale: false };
}
