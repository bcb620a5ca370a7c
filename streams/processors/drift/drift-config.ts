/**
 * Configuration of drift judgement: the field rule (|z| > 3 in 2 consecutive windows),
 * the small-shift EWMA chart, and when a drift ends (recovery) or becomes the new
 * normal (re-baseline).
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { DEFAULT_BASELINE_CONFIG, type BaselineConfig } from '../baseline/ewma-baseline.ts';
import { DEFAULT_EWMA_CHART, type EwmaChartConfig } from './ewma-chart.ts';
import type { AdaptiveDetectorConfig } from './adaptive-detector.ts';

/** Drift judgement configuration. */
export interface DriftConfig {
  readonly baseline: BaselineConfig;
  /**
   * The adaptive detector (adaptive-detector.ts). When set it judges the series alone and
   * `zRule`/`chart`/`recoveryWindows`/`rebaselineAfterWindows` are not used; it takes
   * `baseline.warmupWindows` and the σ floors (`minStdAbs`, `minStdRel`, noise floors).
   */
  readonly adaptive: AdaptiveDetectorConfig | null;
  /** Field rule: |z| > zThreshold for zConsecutive windows; null disables it. */
  readonly zRule: { readonly threshold: number; readonly consecutive: number } | null;
  /** Small-shift chart; null disables it. */
  readonly chart: EwmaChartConfig | null;
  /** Quiet windows (no detector signalling) that end a drift. */
  readonly recoveryWindows: number;
  /** Drifting windows after which the drift is accepted as the new normal and the baseline re-learned from them. */
  readonly rebaselineAfterWindows: number;
  /**
   * Per series name, the smallest standard deviation its baseline assumes (e.g. a sensor's resolution): a flat,
   * quantised signal otherwise has σ ≈ 0 and one quantum step reads as a huge z. Raises `baseline.minStdAbs` for that series.
   */
  readonly noiseFloors: ReadonlyMap<string, number>;
}

/**
 * The default adaptive detector. Chosen by bench/drift-nab.ts on one half of the NAB series
 * (its out-of-sample score is the other half's) among the settings that keep the in-control
 * ARL ≥ 10,000 windows and find a 1σ shift within 15 windows (bench/drift-false-alarms.ts);
 * figures and commands in bench/RESULTS.md.
 */
export const DEFAULT_ADAPTIVE_DETECTOR: AdaptiveDetectorConfig = {
  levelAlpha: 0.05, refAlpha: 0.002, scaleAlpha: 0.005, huber: 3, spikeZ: 7,
  shift: { lambda: 0.1, L: 3.5 }, shiftWarmupWindows: 30, chartSelfScale: { alpha: 0.005, margin: 2 }, likelihood: null, adapt: null,
  daily: { bins: 24, alpha: 0.2, minDays: 2 },
  holdWindows: 100, recoveryWindows: 50, rebaselineAfterWindows: 200,
};

/** The field rule of the seed article: EWMA α = 0.2, |z| > 3 in 2 consecutive windows, plus the small-shift EWMA chart; a drift ends after 3 quiet windows. */
export const FIELD_RULE_DRIFT_CONFIG: DriftConfig = {
  baseline: DEFAULT_BASELINE_CONFIG,
  adaptive: null,
  zRule: { threshold: 3, consecutive: 2 },
  chart: DEFAULT_EWMA_CHART,
  recoveryWindows: 3,
  rebaselineAfterWindows: 30,
  noiseFloors: new Map(),
};

/** Defaults: the adaptive detector (the field rule stays available as FIELD_RULE_DRIFT_CONFIG / `driftConfig({ adaptive: null })`). */
export const DEFAULT_DRIFT_CONFIG: DriftConfig = { ...FIELD_RULE_DRIFT_CONFIG, adaptive: DEFAULT_ADAPTIVE_DETECTOR };

/**
 * Merges a partial config over the defaults and checks it (throws BAD_CONFIG). Setting `zRule` or
 * `chart` without `adaptive` selects the field-rule detectors (the adaptive one would ignore them).
 */
export function driftConfig(p: Partial<Omit<DriftConfig, 'baseline'>> & { baseline?: Partial<BaselineConfig> } = {}): DriftConfig {
  const classic = p.adaptive === undefined && (p.zRule !== undefined || p.chart !== undefined);
  return checkDriftConfig({ ...DEFAULT_DRIFT_CONFIG, ...(classic ? { adaptive: null } : {}), ...p, baseline: { ...DEFAULT_BASELINE_CONFIG, ...p.baseline } });
}

/** Throws BAD_CONFIG naming the first out-of-range setting (checked once, when a processor is created). */
export function checkDriftConfig(c: DriftConfig): DriftConfig {
  const b = c.baseline;
  const bad = (field: string, why: string): never => {
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `drift config ${field} ${why}`, { details: { field } });
  };
  const unit = (v: number, f: string): void => { if (!(v > 0 && v <= 1)) bad(f, `must be in (0, 1], got ${v}`); };
  unit(b.alpha, 'baseline.alpha');
  unit(b.varianceAlpha, 'baseline.varianceAlpha');
  unit(b.referenceAlpha, 'baseline.referenceAlpha');
  if (!(Number.isInteger(b.warmupWindows) && b.warmupWindows >= 2)) bad('baseline.warmupWindows', `must be an integer >= 2, got ${b.warmupWindows}`);
  if (!(b.minStdAbs >= 0) || !(b.minStdRel >= 0)) bad('baseline.minStdAbs/minStdRel', 'must be >= 0');
  if (!(b.idleExpiryMs > 0)) bad('baseline.idleExpiryMs', `must be > 0, got ${b.idleExpiryMs}`);
  if (c.zRule && !(c.zRule.threshold > 0 && Number.isInteger(c.zRule.consecutive) && c.zRule.consecutive >= 1)) bad('zRule', 'needs threshold > 0 and an integer consecutive >= 1');
  if (c.chart) {
    unit(c.chart.lambda, 'chart.lambda');
    if (!(c.chart.L > 0)) bad('chart.L', `must be > 0, got ${c.chart.L}`);
  }
  if (!c.zRule && !c.chart && !c.adaptive) bad('zRule/chart', 'cannot both be disabled without the adaptive detector');
  const a = c.adaptive;
  if (a) {
    unit(a.levelAlpha, 'adaptive.levelAlpha');
    unit(a.refAlpha, 'adaptive.refAlpha');
    unit(a.scaleAlpha, 'adaptive.scaleAlpha');
    if (!(a.huber > 0)) bad('adaptive.huber', `must be > 0, got ${a.huber}`);
    if (!(a.spikeZ >= 0)) bad('adaptive.spikeZ', `must be >= 0, got ${a.spikeZ}`);
    if (a.shift) { unit(a.shift.lambda, 'adaptive.shift.lambda'); if (!(a.shift.L > 0)) bad('adaptive.shift.L', `must be > 0, got ${a.shift.L}`); }
    if (!(Number.isInteger(a.shiftWarmupWindows) && a.shiftWarmupWindows >= 0)) bad('adaptive.shiftWarmupWindows', `must be an integer >= 0, got ${a.shiftWarmupWindows}`);
    if (a.chartSelfScale) { unit(a.chartSelfScale.alpha, 'adaptive.chartSelfScale.alpha'); if (!(a.chartSelfScale.margin >= 1)) bad('adaptive.chartSelfScale.margin', `must be >= 1, got ${a.chartSelfScale.margin}`); }
    if (a.likelihood) { unit(a.likelihood.shortAlpha, 'adaptive.likelihood.shortAlpha'); unit(a.likelihood.longAlpha, 'adaptive.likelihood.longAlpha'); unit(a.likelihood.tail, 'adaptive.likelihood.tail'); }
    if (a.adapt && !(a.adapt.step >= 0 && a.adapt.decay > 0 && a.adapt.decay <= 1)) bad('adaptive.adapt', 'needs step >= 0 and decay in (0, 1]');
    if (a.daily && !(Number.isInteger(a.daily.bins) && a.daily.bins >= 2 && a.daily.bins <= 288 && a.daily.alpha > 0 && a.daily.alpha <= 1 && a.daily.minDays >= 1)) bad('adaptive.daily', 'needs an integer bins in [2, 288], alpha in (0, 1] and minDays >= 1');
    if (!(a.spikeZ > 0 || a.shift || a.likelihood)) bad('adaptive', 'needs at least one of spikeZ, shift, likelihood');
    for (const [f, v] of [['holdWindows', a.holdWindows], ['recoveryWindows', a.recoveryWindows]] as const) if (!(Number.isInteger(v) && v >= 1)) bad(`adaptive.${f}`, `must be an integer >= 1, got ${v}`);
    if (!(Number.isInteger(a.rebaselineAfterWindows) && a.rebaselineAfterWindows >= 2)) bad('adaptive.rebaselineAfterWindows', `must be an integer >= 2, got ${a.rebaselineAfterWindows}`);
  }
  if (!(Number.isInteger(c.recoveryWindows) && c.recoveryWindows >= 1)) bad('recoveryWindows', `must be an integer >= 1, got ${c.recoveryWindows}`);
  if (!(Number.isInteger(c.rebaselineAfterWindows) && c.rebaselineAfterWindows >= 2)) bad('rebaselineAfterWindows', `must be an integer >= 2, got ${c.rebaselineAfterWindows}`);
  for (const [name, v] of c.noiseFloors) if (!(Number.isFinite(v) && v > 0)) bad(`noiseFloors[${JSON.stringify(name)}]`, `must be a finite number > 0, got ${v}`);
  return c;
}

/** Per-config cache of the series-specific configs, so the hot path allocates nothing per window. */
const bySeries = new WeakMap<DriftConfig, Map<string, DriftConfig>>();

/** Suffixes of series derived from a metric in the metric's own unit (a rate is per second: the floor does not carry over). */
const SAME_UNIT_SUFFIX = /\.(last|mean|p50|p95|p99)$/;

/** The noise floor of a series: by its exact name, else by the metric it derives from in the same unit (`temp.mean` → `temp`). */
function floorOf(cfg: DriftConfig, seriesName: string): number | undefined {
  return cfg.noiseFloors.get(seriesName) ?? (SAME_UNIT_SUFFIX.test(seriesName) ? cfg.noiseFloors.get(seriesName.replace(SAME_UNIT_SUFFIX, '')) : undefined);
}

/** The config a series is judged with: `cfg`, with the series' noise floor (if any) as its σ floor. */
export function seriesDriftConfig(cfg: DriftConfig, seriesName: string): DriftConfig {
  if (cfg.noiseFloors.size === 0) return cfg;
  const floor = floorOf(cfg, seriesName);
  if (floor === undefined) return cfg;
  let cache = bySeries.get(cfg);
  if (!cache) bySeries.set(cfg, (cache = new Map()));
  let c = cache.get(seriesName);
  if (!c) cache.set(seriesName, (c = { ...cfg, baseline: { ...cfg.baseline, minStdAbs: Math.max(cfg.baseline.minStdAbs, floor) } }));
  return c;
}

/** The named drift detectors a deployment picks from (worker `--drift-detector`). */
export const DRIFT_DETECTORS = ['adaptive', 'field-rule'] as const;
export type DriftDetectorChoice = (typeof DRIFT_DETECTORS)[number];
