/**
 * Configuration of drift judgement: the field rule (|z| > 3 in 2 consecutive windows),
 * the small-shift EWMA chart, and when a drift ends (recovery) or becomes the new
 * normal (re-baseline).
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { DEFAULT_BASELINE_CONFIG, type BaselineConfig } from '../baseline/ewma-baseline.ts';
import { DEFAULT_EWMA_CHART, type EwmaChartConfig } from './ewma-chart.ts';

/** Drift judgement configuration. */
export interface DriftConfig {
  readonly baseline: BaselineConfig;
  /** Field rule: |z| > zThreshold for zConsecutive windows; null disables it. */
  readonly zRule: { readonly threshold: number; readonly consecutive: number } | null;
  /** Small-shift chart; null disables it. */
  readonly chart: EwmaChartConfig | null;
  /** Quiet windows (no detector signalling) that end a drift. */
  readonly recoveryWindows: number;
  /** Drifting windows after which the drift is accepted as the new normal and the baseline re-learned from them. */
  readonly rebaselineAfterWindows: number;
}

/** Defaults from the field plus the small-shift chart. */
export const DEFAULT_DRIFT_CONFIG: DriftConfig = {
  baseline: DEFAULT_BASELINE_CONFIG,
  zRule: { threshold: 3, consecutive: 2 },
  chart: DEFAULT_EWMA_CHART,
  recoveryWindows: 3,
  rebaselineAfterWindows: 30,
};

/** Merges a partial config over the defaults and checks it (throws BAD_CONFIG). */
export function driftConfig(p: Partial<Omit<DriftConfig, 'baseline'>> & { baseline?: Partial<BaselineConfig> } = {}): DriftConfig {
  return checkDriftConfig({ ...DEFAULT_DRIFT_CONFIG, ...p, baseline: { ...DEFAULT_BASELINE_CONFIG, ...p.baseline } });
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
  if (!c.zRule && !c.chart) bad('zRule/chart', 'cannot both be disabled');
  if (!(Number.isInteger(c.recoveryWindows) && c.recoveryWindows >= 1)) bad('recoveryWindows', `must be an integer >= 1, got ${c.recoveryWindows}`);
  if (!(Number.isInteger(c.rebaselineAfterWindows) && c.rebaselineAfterWindows >= 2)) bad('rebaselineAfterWindows', `must be an integer >= 2, got ${c.rebaselineAfterWindows}`);
  return c;
}
