/**
 * Decides whether an alert is suppressed right now: the first policy (in file order)
 * whose matchers select the alert and whose release condition holds for an in-progress
 * release of the alert's service. The decision carries the audit fields a suppressed
 * alert publishes: policy, release, why, and when the suppression ends (null = when
 * the release ends). Unsuppressible alerts (canary failures) are never suppressed.
 */
import { matchesAll } from '../alerts/label-matcher.ts';
import { inProgress, type ReleaseEvent } from './release-table.ts';
import type { PolicySet } from './policy-types.ts';

/** What suppression needs to know about an alert. */
export interface SuppressionSubject {
  /** Alert labels plus __name__ and alertname. */
  readonly labels: Readonly<Record<string, string>>;
  readonly source: 'DRIFT' | 'CANARY';
  readonly unsuppressible: boolean;
  /** When the alert became active (drift onset), epoch ms. */
  readonly activeSinceMs: number;
}

/** Audit record of an active suppression. */
export interface Suppression {
  readonly policy: string;
  readonly releaseId: string;
  readonly service: string;
  readonly trafficPercent: number;
  readonly reason: string;
  readonly startedAtMs: number;
  /** End of suppression, epoch ms; null = until the release ends. */
  readonly untilMs: number | null;
}

/** True when the labels belong to a core chain. */
export function isCoreChain(labels: Readonly<Record<string, string>>, set: PolicySet): string | null {
  for (const c of set.coreChains) if (matchesAll(c.matchers, labels)) return c.name;
  return null;
}

/** The suppression in force for `subject` at event time `atMs`, or null. */
export function evaluateSuppression(subject: SuppressionSubject, releases: readonly ReleaseEvent[], set: PolicySet, atMs: number): Suppression | null {
  if (subject.unsuppressible) return null;
  const service = subject.labels['service'];
  if (!service) return null;
  for (const p of set.policies) {
    if (p.driftOnly && subject.source !== 'DRIFT') continue;
    if (!matchesAll(p.match, subject.labels)) continue;
    if (p.nonCoreOnly && isCoreChain(subject.labels, set)) continue;
    for (const r of releases) {
      if (r.service !== service || !inProgress(r, p.phases)) continue;
      if (p.maxTrafficPercent !== null && !(r.trafficPercent < p.maxTrafficPercent)) continue;
      if (p.duration.kind === 'for') {
        const untilMs = subject.activeSinceMs + p.duration.ms;
        if (atMs >= untilMs) continue;
        return { policy: p.name, releaseId: r.releaseId, service, trafficPercent: r.trafficPercent, reason: `${service} is in gray release ${r.releaseId} (${r.phase} at ${r.trafficPercent}%) and its baseline drifts; suppressed for ${p.duration.ms / 1000}s from onset`, startedAtMs: subject.activeSinceMs, untilMs };
      }
      return { policy: p.name, releaseId: r.releaseId, service, trafficPercent: r.trafficPercent, reason: `${service} is in gray release ${r.releaseId} at ${r.trafficPercent}% < ${p.maxTrafficPercent ?? 100}% traffic and the chain is not core; suppressed until the release ends`, startedAtMs: subject.activeSinceMs, untilMs: null };
    }
  }
  return null;
}
