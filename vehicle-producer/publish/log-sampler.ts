/**
 * Adaptive log sampling on the vehicle: keep 10% of lines while the vehicle is healthy and
 * more as its error rate rises — +0.05 for every full 0.5 percentage point of error rate
 * above 0.5%, capped at 1.0 — so the evidence around a failure survives the uplink. ERROR
 * and FATAL lines are always kept. The rate in force is written into each kept record's
 * `samplingRate` so counts can be scaled back (1/rate).
 */
import type { LogLevel } from '../schemas.ts';

/** Base sampling rate of a healthy vehicle. */
export const BASE_SAMPLING_RATE = 0.1;

/** Sampling rate for an error rate given as a fraction (0.012 = 1.2%). */
export function samplingRateFor(errorRate: number): number {
  const pct = errorRate * 100;
  if (!(pct > 0.5)) return BASE_SAMPLING_RATE;
  // Round to 1e-9 first so 1.0% (0.01*100 = 1.0000000000000002) counts as one full step, not a hair over.
  const steps = Math.floor(Math.round(((pct - 0.5) / 0.5) * 1e9) / 1e9);
  return Math.min(1, Math.round((BASE_SAMPLING_RATE + 0.05 * steps) * 1e9) / 1e9);
}

/** True for levels that are never sampled away. */
export function alwaysKept(level: LogLevel): boolean {
  return level === 'ERROR' || level === 'FATAL';
}

/** Per-vehicle sampler: feed it error-rate observations and ask per line. */
export class LogSampler {
  private readonly errorRate = new Map<string, number>();
  constructor(private readonly random: () => number) {}

  /** Records the vehicle's latest error rate (fraction), e.g. from its can_bus_error_rate gauge. */
  observeErrorRate(vehicleId: string, rate: number): void {
    this.errorRate.set(vehicleId, rate);
  }

  /** Current sampling rate of a vehicle. */
  rateOf(vehicleId: string): number {
    return samplingRateFor(this.errorRate.get(vehicleId) ?? 0);
  }

  /** Decides one line: null to drop, else the samplingRate to record (1.0 for ERROR/FATAL). */
  decide(vehicleId: string, level: LogLevel): number | null {
    if (alwaysKept(level)) return 1;
    const r = this.rateOf(vehicleId);
    return this.random() < r ? r : null;
  }
}
