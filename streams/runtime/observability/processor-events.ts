/**
 * Turns the events processors report (ProcessResult.events) into log lines and metrics.
 * Called after a commit, so an aborted and re-read batch reports its events once.
 */
import type { ProcessorEvent } from '../../processors/processor.ts';
import { RULES_ACTIVE_EVENT, RULES_REFUSED_EVENT } from '../../processors/fmea/active-rules.ts';
import { ALERT_PUBLISHED_EVENT } from '../../processors/alerts/alert-outcome.ts';
import { LOG_CLUSTER_EVENT } from '../../processors/logs/log-cluster-event.ts';
import type { Logger } from './logger.ts';
import type { RuntimeMetrics } from './metrics.ts';

const activeFingerprint = new WeakMap<RuntimeMetrics, Map<string, string>>();

/** Logs each event at its level and counts it; rule-set events also drive the rules metrics. */
export function reportProcessorEvents(log: Logger, metrics: RuntimeMetrics, processor: string, events: readonly ProcessorEvent[]): void {
  for (const e of events) {
    log[e.level](e.message, { event: e.kind, ...e.details });
    metrics.processorEvents.inc({ processor, kind: e.kind });
    if (e.kind === ALERT_PUBLISHED_EVENT) metrics.alerts.inc({ processor, outcome: String(e.details?.['outcome']), rule: String(e.details?.['rule']), reason: String(e.details?.['reason']) });
    else if (e.kind === LOG_CLUSTER_EVENT) metrics.logClusterEvents.inc({ processor, type: String(e.details?.['type']) });
    else if (e.kind === RULES_REFUSED_EVENT) metrics.rulesRefused.inc({ processor });
    else if (e.kind === RULES_ACTIVE_EVENT) {
      const fingerprint = String(e.details?.['fingerprint'] ?? '');
      const version = Number(e.details?.['version'] ?? 0);
      let last = activeFingerprint.get(metrics);
      if (!last) activeFingerprint.set(metrics, (last = new Map()));
      // One series per processor: the previous set's label goes, so dashboards see a single active version.
      const prev = last.get(processor);
      if (prev !== undefined && prev !== fingerprint) metrics.rulesActiveVersion.remove({ processor, fingerprint: prev });
      last.set(processor, fingerprint);
      metrics.rulesActiveVersion.set({ processor, fingerprint }, version / 1000);
    }
  }
}
