/**
 * Prometheus-style alert lifecycle over drift events, in event time. The condition of
 * a drift rule is "this window drifts" (ONSET/ONGOING events); RECOVERED/REBASELINED
 * or a missing heartbeat (no event for one window) make it false.
 *   inactive --true--> PENDING --true for `for`--> FIRING
 *   PENDING --false--> RESOLVED (never fired)
 *   FIRING --false for `keep_firing_for`--> RESOLVED
 * Gaps in truth restart `for` (a PENDING alert needs continuous truth).
 */
import type { AlertState } from './alert-types.ts';

/** Lifecycle state of one alert. */
export interface Lifecycle {
  readonly state: AlertState;
  readonly activeSinceMs: number;
  readonly firingSinceMs: number | null;
  readonly resolvedAtMs: number | null;
  /** End of the last window in which the condition held. */
  readonly lastTrueMs: number;
}

/** Timing of a rule. */
export interface LifecycleTiming {
  readonly forMs: number;
  readonly keepFiringForMs: number;
}

/** The condition held for the window ending at `tMs` (which started at `startMs`). */
export function onTrue(prev: Lifecycle | undefined, startMs: number, tMs: number, timing: LifecycleTiming): Lifecycle {
  const continuing =
    prev && prev.state !== 'RESOLVED' &&
    // A false window in between restarts a pending alert; a firing one bridges gaps up to keep_firing_for.
    (prev.state === 'FIRING' ? startMs - prev.lastTrueMs <= timing.keepFiringForMs : startMs <= prev.lastTrueMs);
  if (!continuing) {
    const fire = timing.forMs <= 0;
    return { state: fire ? 'FIRING' : 'PENDING', activeSinceMs: tMs, firingSinceMs: fire ? tMs : null, resolvedAtMs: null, lastTrueMs: tMs };
  }
  if (prev.state === 'PENDING' && tMs - prev.activeSinceMs >= timing.forMs) return { ...prev, state: 'FIRING', firingSinceMs: tMs, lastTrueMs: tMs };
  return { ...prev, lastTrueMs: tMs };
}

/**
 * The condition is false at `tMs`. Returns the new lifecycle (RESOLVED when due) and,
 * for a firing alert still inside keep_firing_for, the time it resolves if nothing changes.
 */
export function onFalse(prev: Lifecycle, tMs: number, timing: LifecycleTiming): { lc: Lifecycle; resolveAtMs: number | null } {
  if (prev.state === 'RESOLVED') return { lc: prev, resolveAtMs: null };
  if (prev.state === 'PENDING') return { lc: { ...prev, state: 'RESOLVED', resolvedAtMs: tMs }, resolveAtMs: null };
  const due = prev.lastTrueMs + timing.keepFiringForMs;
  if (tMs >= due) return { lc: { ...prev, state: 'RESOLVED', resolvedAtMs: Math.max(due, prev.lastTrueMs) }, resolveAtMs: null };
  return { lc: prev, resolveAtMs: due };
}
