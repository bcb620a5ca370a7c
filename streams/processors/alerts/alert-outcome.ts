/**
 * What a published alert record means for an operator counting alerts: it fired, it fired but a
 * gray-release policy suppressed it, it is pending, or it resolved. Reported as processor events
 * (the processor cannot count), which the runtime turns into `fmeaflow_alerts_total`.
 */
import type { ProcessorEvent } from '../processor.ts';
import type { AlertRecord } from './alert-types.ts';

/** Event kind of one published alert record. */
export const ALERT_PUBLISHED_EVENT = 'alerts.published';

/** The outcomes dashboards separate. */
export type AlertOutcome = 'pending' | 'fired' | 'suppressed' | 'resolved';

/** Outcome of a published record and its reason: the suppressing policy, `unsuppressible` for canary alerts, else `none`. */
export function alertOutcome(a: AlertRecord): { outcome: AlertOutcome; reason: string } {
  const reason = a.suppression?.policy ?? (a.unsuppressible ? 'unsuppressible' : 'none');
  if (a.state === 'RESOLVED') return { outcome: 'resolved', reason: a.unsuppressible ? 'unsuppressible' : 'none' };
  if (a.suppressed) return { outcome: 'suppressed', reason };
  return { outcome: a.state === 'FIRING' ? 'fired' : 'pending', reason };
}

/** One event per published alert record (debug level: the alerts topic already holds the record). */
export function alertEvent(a: AlertRecord): ProcessorEvent {
  const { outcome, reason } = alertOutcome(a);
  return {
    kind: ALERT_PUBLISHED_EVENT, level: 'debug',
    message: `alert ${a.rule} ${outcome} (${a.subject})`,
    details: { alertId: a.alertId, rule: a.rule, source: a.source, outcome, reason },
  };
}
