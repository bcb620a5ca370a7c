/**
 * Adaptive log sampling on the vehicle: keep 10% of lines while the vehicle is healthy and
 * more as its error rate rises — +0.05 for every full 0.5 percentage point of error rate
 * above 0.5%, capped at 1.0 — so the evidence around a failure survives the uplink. ERROR
 * and FATAL lines are always kept. The rate in force is written into each kept record's
 * `samplingRate` so counts can be scaled back (1/rate).
 *
 * The error rate is the larger of the vehicle's latest `can_bus_error_rate` gauge and the
 * share of ERROR/FATAL among its last LOG_WINDOW log lines (all lines, before sampling): a
 * failing service that logs errors raises its own sampling even when the bus is healthy.
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

/** Log lines per vehicle whose error share counts as the log stream's error rate. */
export const LOG_WINDOW = 200;

/** The last LOG_WINDOW levels of one vehicle's log stream, as an error count over a ring. */
class ErrorWindow {
  private readonly ring = new Uint8Array(LOG_WINDOW);
  private next = 0;
  private errors = 0;

  add(isError: boolean): void {
    this.errors += (isError ? 1 : 0) - this.ring[this.next]!;
    this.ring[this.next] = isError ? 1 : 0;
    this.next = (this.next + 1) % LOG_WINDOW;
  }

  /** Error share; a vehicle with fewer lines counts the missing ones as healthy, so one early ERROR is not 100 %. */
  get share(): number {
    return this.errors / LOG_WINDOW;
  }
}

/** Per-vehicle sampler: feed it error-rate observations and ask per line. */
export class LogSampler {
  private readonly errorRate = new Map<string, number>();
  private readonly logErrors = new Map<string, ErrorWindow>();
  constructor(private readonly random: () => number) {}

  /** Records the vehicle's latest error rate (fraction), e.g. from its can_bus_error_rate gauge. */
  observeErrorRate(vehicleId: string, rate: number): void {
    this.errorRate.set(vehicleId, rate);
  }

  /** Error rate in force for a vehicle: the bus gauge or the log stream's error share, whichever is higher. */
  errorRateOf(vehicleId: string): number {
    return Math.max(this.errorRate.get(vehicleId) ?? 0, this.logErrors.get(vehicleId)?.share ?? 0);
  }

  /** Current sampling rate of a vehicle. */
  rateOf(vehicleId: string): number {
    return samplingRateFor(this.errorRateOf(vehicleId));
  }

  /** Decides one line (and counts it in the vehicle's log error share): null to drop, else the samplingRate to record (1.0 for ERROR/FATAL). */
  decide(vehicleId: string, level: LogLevel): number | null {
    let w = this.logErrors.get(vehicleId);
    if (!w) this.logErrors.set(vehicleId, (w = new ErrorWindow()));
    // The rate comes from the lines before this one, so a line never decides its own fate.
    const r = this.rateOf(vehicleId);
    w.add(alwaysKept(level));
    if (alwaysKept(level)) return 1;
    return this.random() < r ? r : null;
  }
}
