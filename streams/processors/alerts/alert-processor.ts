/**
 * Drift events → alerts, with gray-release suppression applied on every state change.
 * State per alert id (bounded: deleted once RESOLVED). Timers, all in event time:
 * `hb|<id>` notices a missing heartbeat (the series stopped drifting without a closing
 * event) and resolves after keep_firing_for; `supp|<id>` re-evaluates suppression when
 * a fixed suppression expires or, for until-release-end policies, every `recheckMs` so
 * an ended release un-suppresses the alert even when nothing else happens.
 */
import { Topics } from '../../topic-catalog.ts';
import type { FiredTimer, OutputRecord, ProcessResult, ProcessorContext, ProcessorEvent, Processor, ReadonlyStore, TimerRequest } from '../processor.ts';
import type { DriftEvent } from '../drift/drift-types.ts';
import { evaluateSuppression, type Suppression } from '../suppression/evaluate-suppression.ts';
import type { PolicySet } from '../suppression/policy-types.ts';
import { readReleases, releaseTableValidator, type ReleaseEvent } from '../suppression/release-table.ts';
import { alertId } from './alert-id.ts';
import { alertEvent } from './alert-outcome.ts';
import { onFalse, onTrue, type Lifecycle } from './alert-lifecycle.ts';
import { DEFAULT_ALERT_RULES } from './alert-rules.ts';
import type { AlertRecord, AlertRule } from './alert-types.ts';
import { matchesAll } from './label-matcher.ts';

/** Options of the alert processor. */
export interface AlertProcessorOptions {
  readonly rules?: readonly AlertRule[];
  /** Parsed suppression policy file (see parsePolicyFile); empty policies = no suppression. */
  readonly policies: PolicySet;
  /** How often an until-release-end suppression is re-checked, in event time (default 60 s). */
  readonly recheckMs?: number;
  /** Services a release may name; releases for other services are ignored (and should be DLQ'd at ingestion). */
  readonly knownServices?: ReadonlySet<string>;
  /**
   * Drift events of different upstream partitions interleave with some event-time skew;
   * this much is tolerated before an event counts as late (default 2 min). Timers
   * (heartbeat, keep_firing_for, suppression expiry) fire this much later in event time.
   */
  readonly allowedLatenessMs?: number;
}

/** Stored per alert id. */
export interface AlertStoreValue {
  readonly rule: string;
  readonly lc: Lifecycle;
  readonly last: DriftEvent;
  readonly published: { readonly state: string; readonly suppressionKey: string } | null;
}

function suppressionKey(s: Suppression | null): string {
  return s ? `${s.policy}|${s.releaseId}|${s.untilMs ?? 'release-end'}` : '';
}

/** Labels an alert is matched on: series labels + __name__ + scope (+ alertname for policies). */
export function alertLabels(e: DriftEvent, rule?: string): Record<string, string> {
  return { ...e.labels, __name__: e.name, scope: e.scope, ...(rule ? { alertname: rule } : {}) };
}

/** Builds the published record. */
function toRecord(id: string, rule: AlertRule, v: AlertStoreValue, sup: Suppression | null, tMs: number): AlertRecord {
  const e = v.last;
  const state = v.lc.state;
  return {
    alertId: id, rule: rule.name, source: 'DRIFT', state, severity: rule.severity, subject: e.seriesId, name: e.name, labels: e.labels, scope: e.scope,
    detector: e.detector, value: e.value, baselineValue: e.baselineMean, zScore: e.zScore,
    activeSinceMs: v.lc.activeSinceMs, firingSinceMs: v.lc.firingSinceMs, resolvedAtMs: v.lc.resolvedAtMs, eventTimeMs: tMs,
    suppressed: state !== 'RESOLVED' && sup !== null, suppression: state !== 'RESOLVED' ? sup : null, unsuppressible: false, releaseId: sup?.releaseId ?? null,
    summary: `${e.name} ${JSON.stringify(e.labels)} on ${e.scope}: ${e.detector} drift, value ${e.value.toPrecision(4)} vs baseline ${e.baselineMean.toPrecision(4)} (z=${e.zScore.toFixed(1)})`,
  };
}

/** Creates `alerts`: drift events in (+ releases global table), alerts out. */
export function createAlertProcessor(opts: AlertProcessorOptions): Processor<AlertStoreValue, DriftEvent> {
  const rules = opts.rules ?? DEFAULT_ALERT_RULES;
  const byName = new Map(rules.map((r) => [r.name, r]));
  const recheckMs = opts.recheckMs ?? 60_000;

  /** Publishes if state or suppression changed; schedules the suppression re-check; drops resolved alerts from the store. */
  const settle = (id: string, rule: AlertRule, v: AlertStoreValue, tMs: number, ctx: ProcessorContext, extraTimers: TimerRequest[]): ProcessResult<AlertStoreValue> => {
    // As the releases stood at tMs: a lagging engine's table may already show the release ended.
    const releases = readReleases(ctx.globals.table<ReleaseEvent>(Topics.releases), opts.knownServices, tMs).valid;
    const sup = v.lc.state === 'RESOLVED' ? null : evaluateSuppression({ labels: alertLabels(v.last, rule.name), source: 'DRIFT', unsuppressible: false, activeSinceMs: v.lc.activeSinceMs }, releases, opts.policies, tMs);
    const key = suppressionKey(sup);
    const outputs: OutputRecord[] = [];
    let published = v.published;
    const events: ProcessorEvent[] = [];
    if (!published || published.state !== v.lc.state || published.suppressionKey !== key) {
      const rec = toRecord(id, rule, v, sup, tMs);
      outputs.push({ topic: Topics.alerts, key: id, value: rec });
      events.push(alertEvent(rec));
      published = { state: v.lc.state, suppressionKey: key };
    }
    const timers = [...extraTimers];
    const cancelTimers: string[] = [];
    if (v.lc.state === 'RESOLVED') {
      cancelTimers.push(`hb|${id}`, `supp|${id}`);
      return { updates: [{ key: id, value: null }], outputs, timers: timers.filter((t) => !t.id.endsWith(id)), cancelTimers, events };
    }
    if (sup) timers.push({ kind: 'event-time', id: `supp|${id}`, atMs: sup.untilMs ?? tMs + recheckMs, payload: { alertId: id } });
    return { updates: [{ key: id, value: { ...v, published } }], outputs, timers, events };
  };

  return {
    name: 'alerts',
    inputTopics: [Topics.drift],
    outputTopics: [Topics.alerts],
    store: 'alerts',
    globalTopics: [Topics.releases],
    ...(opts.knownServices ? { globalValidators: { [Topics.releases]: releaseTableValidator(opts.knownServices) } } : {}),
    allowedLatenessMs: opts.allowedLatenessMs ?? 120_000,
    eventTimeMs: (e) => e.windowEndMs,
    process(store, record, ctx) {
      const e = record.value;
      const labels = alertLabels(e);
      const updates: NonNullable<ProcessResult<AlertStoreValue>['updates']>[number][] = [];
      const outputs: OutputRecord[] = [];
      const timers: TimerRequest[] = [];
      const cancel: string[] = [];
      const events: ProcessorEvent[] = [];
      for (const rule of rules) {
        if (!matchesAll(rule.match, labels)) continue;
        const id = alertId(rule.name, e.seriesId);
        const prev = store.get(id);
        const truth = e.phase === 'ONSET' || e.phase === 'ONGOING';
        let r: ProcessResult<AlertStoreValue>;
        if (truth) {
          const lc = onTrue(prev?.lc, e.windowStartMs, e.windowEndMs, rule);
          const v: AlertStoreValue = { rule: rule.name, lc, last: e, published: prev?.published ?? null };
          // Heartbeat: if the next window brings no drift event, the condition is false then.
          r = settle(id, rule, v, e.windowEndMs, ctx, [{ kind: 'event-time', id: `hb|${id}`, atMs: e.windowEndMs + e.windowMs + 1, payload: { alertId: id, lastTrueMs: lc.lastTrueMs } }]);
        } else {
          if (!prev) continue;
          const { lc, resolveAtMs } = onFalse(prev.lc, e.windowEndMs, rule);
          const v: AlertStoreValue = { ...prev, lc, last: { ...prev.last, phase: e.phase } };
          r = settle(id, rule, v, e.windowEndMs, ctx, resolveAtMs === null ? [] : [{ kind: 'event-time', id: `hb|${id}`, atMs: resolveAtMs, payload: { alertId: id, lastTrueMs: lc.lastTrueMs } }]);
        }
        updates.push(...(r.updates ?? []));
        outputs.push(...(r.outputs ?? []));
        timers.push(...(r.timers ?? []));
        cancel.push(...(r.cancelTimers ?? []));
        events.push(...(r.events ?? []));
      }
      return { updates, outputs, timers, cancelTimers: cancel, events };
    },
    onTimer(store: ReadonlyStore<AlertStoreValue>, timer: FiredTimer, ctx: ProcessorContext) {
      const id = String(timer.payload?.['alertId'] ?? '');
      const v = store.get(id);
      if (!v) return {};
      const rule = byName.get(v.rule);
      if (!rule) return { updates: [{ key: id, value: null }] };
      if (timer.id.startsWith('hb|')) {
        // A newer true window re-registered the heartbeat; this one is outdated.
        if (v.lc.lastTrueMs !== timer.payload?.['lastTrueMs']) return {};
        const { lc, resolveAtMs } = onFalse(v.lc, timer.atMs, rule);
        return settle(id, rule, { ...v, lc }, timer.atMs, ctx, resolveAtMs === null ? [] : [{ kind: 'event-time', id: `hb|${id}`, atMs: resolveAtMs, payload: { alertId: id, lastTrueMs: lc.lastTrueMs } }]);
      }
      if (timer.id.startsWith('supp|')) return settle(id, rule, v, timer.atMs, ctx, []);
      return {};
    },
  };
}
