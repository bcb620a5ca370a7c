/**
 * The alert record (`fmeaflow.alerts.v1`, schemas/alert.avsc) and alert rules. One
 * alert id per rule and series (or per release and metric for canary alerts), so a
 * consumer can deduplicate and follow an alert through PENDING → FIRING → RESOLVED;
 * a record is published only when the state or the suppression changes.
 */
import type { LabelMatcher } from './label-matcher.ts';
import type { Suppression } from '../suppression/evaluate-suppression.ts';

/** Lifecycle state. */
export type AlertState = 'PENDING' | 'FIRING' | 'RESOLVED';

/** Value of `fmeaflow.alerts.v1`, key = alertId. */
export interface AlertRecord {
  readonly alertId: string;
  readonly rule: string;
  readonly source: 'DRIFT' | 'CANARY';
  readonly state: AlertState;
  readonly severity: 'info' | 'warning' | 'critical';
  /** Series id for drift alerts; `canary:<releaseId>:<metric>` for canary alerts. */
  readonly subject: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly scope: string;
  readonly detector: string;
  readonly value: number;
  readonly baselineValue: number;
  readonly zScore: number | null;
  readonly activeSinceMs: number;
  readonly firingSinceMs: number | null;
  readonly resolvedAtMs: number | null;
  /** Event time of this lifecycle record. */
  readonly eventTimeMs: number;
  readonly suppressed: boolean;
  readonly suppression: Suppression | null;
  readonly unsuppressible: boolean;
  readonly releaseId: string | null;
  readonly summary: string;
}

/** Which drift becomes which alert. */
export interface AlertRule {
  readonly name: string;
  /** Over series labels plus __name__ (series name) and scope. */
  readonly match: readonly LabelMatcher[];
  /** Condition must hold this long before PENDING becomes FIRING (Prometheus `for`). */
  readonly forMs: number;
  /** A FIRING alert stays firing this long after the condition stops (Prometheus `keep_firing_for`). */
  readonly keepFiringForMs: number;
  readonly severity: AlertRecord['severity'];
}
