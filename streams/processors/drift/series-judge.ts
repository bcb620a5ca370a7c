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
  return {
    seriesId: s.seriesId, name: s.name, labels: s.labels, scope: s.scope,
    mean: s.baseline.mean, stdDev: Math.sqrt(s.baseline.variance), referenceMean: s.baseline.refMean, referenceStdDev: Math.sqrt(s.baseline.refVariance),
    windowsLearned: s.baseline.n, warmingUp: isWarmingUp(s.baseline, cfg.baseline),
    status: s.drift ? 'DRIFTING' : 'NORMAL', driftSinceMs: s.drift?.sinceMs ?? null, alpha: cfg.baseline.alpha, lastWindowEndMs: s.lastWindowEndMs,
  };
}

/** Judges one window; pure. */
export function judgeWindow(prev: SeriesState | undefined, p: SeriesPoint, configured: DriftConfig): JudgeResult {
  const cfg = seriesDriftConfig(configured, p.name);
  const s0 = prev ?? fresh(p);
  if (p.windowEndMs <= s0.lastWindowEndMs) return { state: s0, baseline: baselineRecord(s0, cfg), events: [], stale: true };
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
