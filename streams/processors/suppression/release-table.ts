/**
 * The gray-release global table (`fleet.releases.v1`, latest ReleaseEvent per release
 * id) as suppression and canary judgement see it: which releases are in progress for
 * a service. Table entries cannot be sent to the DLQ from here, so invalid entries are
 * skipped and reported; `validateReleaseEvent` is exported for the runtime's
 * global-table loader to DLQ them at ingestion.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

/** Decoded `dev.fmeaflow.fleet.ReleaseEvent`. */
export interface ReleaseEvent {
  readonly releaseId: string;
  readonly service: string;
  readonly version: string;
  readonly baselineVersion: string | null;
  readonly phase: 'START' | 'RAMP' | 'PROMOTE' | 'ROLLBACK' | 'END';
  readonly trafficPercent: number;
  readonly cohort: string;
  readonly cohortVehicleIds: readonly string[];
  readonly timestampMs: number;
  /** Earlier lifecycle steps, oldest first (absent in events written before the field existed). */
  readonly history?: readonly ReleaseStep[];
}

/** One earlier lifecycle event of a release (`dev.fmeaflow.fleet.ReleaseStep`). */
export interface ReleaseStep {
  readonly phase: ReleaseEvent['phase'];
  readonly trafficPercent: number;
  readonly cohortVehicleIds: readonly string[];
  readonly timestampMs: number;
}

const PHASES = new Set(['START', 'RAMP', 'PROMOTE', 'ROLLBACK', 'END']);

/**
 * Throws INVALID_RECORD when a release event is malformed, RELEASE_UNKNOWN_SERVICE when it names a
 * service outside `knownServices` (when given): one code per cause, whichever check meets the event.
 */
export function validateReleaseEvent(ev: ReleaseEvent, knownServices?: ReadonlySet<string>): void {
  const bad = (field: string, message: string): never => {
    throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `release ${JSON.stringify(ev?.releaseId)}, field ${field}: ${message}`, { details: { releaseId: ev?.releaseId, field } });
  };
  if (!ev || typeof ev !== 'object') bad('(record)', 'not a release event');
  if (!ev.releaseId) bad('releaseId', 'empty release id');
  if (!ev.service) bad('service', 'empty service');
  if (!PHASES.has(ev.phase)) bad('phase', `unknown phase ${JSON.stringify(ev.phase)}`);
  if (!Number.isFinite(ev.trafficPercent) || ev.trafficPercent < 0 || ev.trafficPercent > 100) bad('trafficPercent', `traffic share ${ev.trafficPercent} is not within 0..100`);
  if (!Number.isFinite(ev.timestampMs)) bad('timestampMs', 'timestamp is not finite');
  let prev = -Infinity;
  for (const [i, step] of (ev.history ?? []).entries()) {
    if (!PHASES.has(step.phase)) bad(`history[${i}].phase`, `unknown phase ${JSON.stringify(step.phase)}`);
    if (!Number.isFinite(step.trafficPercent) || step.trafficPercent < 0 || step.trafficPercent > 100) bad(`history[${i}].trafficPercent`, `traffic share ${step.trafficPercent} is not within 0..100`);
    if (!Number.isFinite(step.timestampMs) || step.timestampMs < prev || step.timestampMs > ev.timestampMs) bad(`history[${i}].timestampMs`, 'steps must be in time order and not after the event itself');
    prev = step.timestampMs;
  }
  if (knownServices) checkReleaseService(ev, knownServices);
}

/** Throws RELEASE_UNKNOWN_SERVICE when the release names a service outside the catalog. */
export function checkReleaseService(ev: ReleaseEvent, knownServices: ReadonlySet<string>): void {
  if (knownServices.has(ev.service)) return;
  throw new FmeaflowError(
    ErrorCodes.RELEASE_UNKNOWN_SERVICE,
    `release ${JSON.stringify(ev.releaseId)}, field service: unknown service ${JSON.stringify(ev.service)} (known: ${[...knownServices].sort().join(', ')}); fix the release event, or add the service to the services list of the policy file`,
    { details: { releaseId: ev.releaseId, field: 'service', service: ev.service } },
  );
}

/**
 * The global-table check of a release event under a service catalog: malformed (INVALID_RECORD) or
 * unknown service (RELEASE_UNKNOWN_SERVICE) records do not enter the table, so they cannot replace a
 * valid release with the same id.
 */
export function releaseTableValidator(knownServices: ReadonlySet<string>): (value: unknown) => void {
  return (value) => validateReleaseEvent(value as ReleaseEvent, knownServices);
}

/** True while the release is in one of the given phases (START/RAMP = in progress). */
export function inProgress(ev: ReleaseEvent, phases: readonly string[] = ['START', 'RAMP']): boolean {
  return phases.includes(ev.phase);
}

/**
 * The release as it stood at `atMs`: its latest lifecycle step at or before `atMs`, or null if
 * it had not started then. The global table is usually ahead of the record being processed
 * (it is caught up before each batch, and a lagging engine may already see END), so judging
 * by the latest phase would end suppression and canary cohorts early.
 */
export function releaseAsOf(ev: ReleaseEvent, atMs: number): ReleaseEvent | null {
  if (ev.timestampMs <= atMs) return ev;
  const steps = ev.history ?? [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i]!;
    if (s.timestampMs <= atMs) return { ...ev, phase: s.phase, trafficPercent: s.trafficPercent, cohortVehicleIds: s.cohortVehicleIds, timestampMs: s.timestampMs, history: steps.slice(0, i) };
  }
  return null;
}

/**
 * Valid releases of the table (as they stood at `atMs` when given, see releaseAsOf) and the
 * rejected ones with their errors.
 */
export function readReleases(table: ReadonlyMap<string, ReleaseEvent>, knownServices?: ReadonlySet<string>, atMs?: number): { valid: ReleaseEvent[]; rejected: { releaseId: string; error: FmeaflowError }[] } {
  const valid: ReleaseEvent[] = [];
  const rejected: { releaseId: string; error: FmeaflowError }[] = [];
  for (const [id, ev] of table) {
    try {
      validateReleaseEvent(ev, knownServices);
      const asOf = atMs === undefined ? ev : releaseAsOf(ev, atMs);
      if (asOf) valid.push(asOf);
    } catch (e) {
      rejected.push({ releaseId: id, error: e as FmeaflowError });
    }
  }
  // Deterministic choice when several releases of one service overlap.
  valid.sort((a, b) => (a.releaseId < b.releaseId ? -1 : a.releaseId > b.releaseId ? 1 : 0));
  return { valid, rejected };
}
