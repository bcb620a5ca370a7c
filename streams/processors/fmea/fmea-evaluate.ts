/**
 * The FMEA evaluation processor: reads evidence topics (log clusters, drift, alerts, canary
 * verdicts, CAN features, CAN clusters), hot-reloads worksheets from the global rules
 * table (last-good kept in state) and writes ranked actions to the compacted actions topic,
 * keyed by entry + scope. Fleet and model scopes see only this partition's evidence, so the
 * topology should route evidence to this processor by a fleet-wide key (see report). The
 * vehicle registry (global `fmeaflow.vehicles.v1`) maps each vehicle to its model for the
 * model scope and is the fleet: vehicle ids in evidence are untrusted, so ids it does not list are
 * counted apart (an `fmea.vehicle.unregistered` event) and never enter the observed occurrence.
 * A configured `modelOf` answers for vehicles the registry does not list.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { Topics } from '../../topic-catalog.ts';
import type { FiredTimer, InputRecord, OutputRecord, ProcessorEvent, ProcessResult, Processor, ProcessorContext, ReadonlyStore, TimerRequest } from '../processor.ts';
import { reconcileRules, RuleSetCache, RULES_ACTIVE_EVENT, RULES_REFUSED_EVENT, type ReconcileResult, type RuleSetRecord } from './active-rules.ts';
import { formatIssue } from './rule-issue.ts';
import { EVIDENCE_ADAPTERS } from './evidence/adapters.ts';
import { InvalidEvidence, type Evidence } from './evidence/evidence.ts';
import { dropStaleLeafMatches, evaluatorBucketOf, fleetSizeOf, ingestEvidence, refreshActions, resolveAction, unregisteredVehicles, type EvaluatorConfig } from './evaluator.ts';
import { StoreOverlay } from './store-overlay.ts';
import type { FmeaAction } from './action.ts';
import type { RuleSet } from './rule-set.ts';
import { ModelIndex, type VehicleRecord } from './vehicle-registry.ts';

export interface FmeaEvaluateConfig extends EvaluatorConfig {
  readonly name?: string;
  /** Allowed lateness of evidence (default 5 min). */
  readonly allowedLatenessMs?: number;
  /** Series known to exist; used only for warnings when re-validating rules. */
  readonly knownSeries?: ReadonlySet<string>;
  /** Evidence topics to read (default: all six). */
  readonly inputTopics?: readonly string[];
  /** How often (wall-clock ms) the rules table is re-checked without evidence, so a refused set is reported promptly (default 5 s). */
  readonly rulesCheckEveryMs?: number;
}

/** Event kind of evidence naming vehicles the registry does not list (counted by `fmeaflow_processor_events_total`). */
export const UNREGISTERED_VEHICLE_EVENT = 'fmea.vehicle.unregistered';

/** Store key of the fleet and model sizes the published actions were last computed with. */
const REGISTRY_SEEN_KEY = 'registry:seen';

/** Id of the wall-clock timer that re-checks the rules table while no evidence arrives. */
export const RULES_CHECK_TIMER = 'rules-check';

/** Creates the FMEA evaluation processor. */
export function createFmeaEvaluateProcessor(cfg: FmeaEvaluateConfig): Processor<unknown, unknown> {
  const cache = new RuleSetCache(cfg.knownSeries ? { knownSeries: cfg.knownSeries } : {});
  const inputs = cfg.inputTopics ?? [...EVIDENCE_ADAPTERS.keys()];
  const adapterOf = (topic: string) => {
    const a = EVIDENCE_ADAPTERS.get(topic);
    if (!a) throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `no evidence adapter for topic ${topic}`);
    return a;
  };
  const models = new ModelIndex();
  const registryOf = (ctx: ProcessorContext): EvaluatorConfig => {
    const table = ctx.globals.table<VehicleRecord>(Topics.vehicles);
    const index = models.use(table);
    return {
      ...cfg,
      registry: { size: table.size, isRegistered: (v) => table.has(v) },
      modelOf: (v) => index.modelOf(v) ?? cfg.modelOf?.(v),
      vehiclesOfModel: (m) => index.vehiclesOf(m) || (cfg.vehiclesOfModel?.(m) ?? 0),
    };
  };
  // The fleet and model sizes the published rows were computed with: when the registry (or the configured fleet size)
  // moves them, every open row whose observed O changed is re-published at once, not at the entry's next evidence.
  const republishOnRegistryChange = (ruleSet: RuleSet | undefined, kv: StoreOverlay, ctx: ProcessorContext): FmeaAction[] => {
    const evalCfg = registryOf(ctx);
    const seen = `${fleetSizeOf(evalCfg)}|${models.signature()}`;
    if (kv.get<string>(REGISTRY_SEEN_KEY) === seen) return [];
    kv.set(REGISTRY_SEEN_KEY, seen);
    return ruleSet ? refreshActions(ruleSet, kv, evalCfg) : [];
  };
  const toOutputs = (actions: readonly { key: string }[]): OutputRecord[] => actions.map((a) => ({ topic: Topics.actions, key: a.key, value: a }));
  const toTimers = (timers: readonly { key: string; atMs: number }[]): TimerRequest[] => timers.map((t) => ({ kind: 'event-time', id: `resolve:${t.key}`, atMs: t.atMs, payload: { key: t.key } }));
  // Which active set each partition last reported, so the runtime's gauge is set once per change and
  // again after a restart; refusals come from the stored state, so each refused table is reported once.
  const reportedActive = new Map<number, string>();
  // The runtime has no hook for global-table changes, so a self-renewing wall-clock timer re-reads the table: a
  // refused set is reported within one period even when no evidence arrives. Armed once per partition by the
  // first record (the timer is in the state, so it survives restarts); processing a record re-checks anyway.
  const checkEveryMs = cfg.rulesCheckEveryMs ?? 5000;
  const armed = new Set<number>();
  const checkTimer = (atMs: number): TimerRequest => ({ kind: 'wall-clock', id: RULES_CHECK_TIMER, atMs });
  const rulesEvents = (r: ReconcileResult, partition: number): ProcessorEvent[] => {
    const events: ProcessorEvent[] = [];
    if (r.refusal) {
      const first = r.refusal.errors[0];
      events.push({
        kind: RULES_REFUSED_EVENT, level: 'warn',
        message: `rule set refused (${r.refusal.errorCount} error(s)); ${r.refusal.keptFingerprint ? `rule set ${r.refusal.keptFingerprint} stays active` : 'no rule set is active'}`,
        details: {
          partition, fingerprint: r.refusal.fingerprint, keptFingerprint: r.refusal.keptFingerprint ?? null, worksheets: r.refusal.worksheets, errorCount: r.refusal.errorCount,
          ...(first ? { file: first.file, line: first.line, column: first.column, field: first.field, code: ErrorCodes.RULE_INVALID, error: first.message } : {}),
          errors: r.refusal.errors.map(formatIssue),
        },
      });
    }
    if (r.active && (r.activeChanged || reportedActive.get(partition) !== r.active.fingerprint)) {
      reportedActive.set(partition, r.active.fingerprint);
      events.push({ kind: RULES_ACTIVE_EVENT, level: 'info', message: `rule set ${r.active.fingerprint} active (${r.active.entries} entries)`, details: { partition, ...r.active } });
    }
    return events;
  };

  return {
    name: cfg.name ?? 'fmea-evaluate',
    inputTopics: inputs,
    outputTopics: [Topics.actions],
    store: 'fmea-evaluate',
    globalTopics: [Topics.rules, Topics.vehicles],
    storeBucket: evaluatorBucketOf,
    allowedLatenessMs: cfg.allowedLatenessMs ?? 300_000,
    eventTimeMs(value, topic) {
      try {
        return adapterOf(topic).eventTimeMs(value);
      } catch (err) {
        throw invalid(err, topic);
      }
    },
    process(store: ReadonlyStore<unknown>, record: InputRecord<unknown>, ctx: ProcessorContext): ProcessResult<unknown> {
      const kv = new StoreOverlay(store, evaluatorBucketOf);
      const reconciled = reconcileRules(ctx.globals.table<RuleSetRecord>(Topics.rules), kv, cache);
      const { ruleSet, activeChanged } = reconciled;
      if (ruleSet && activeChanged) dropStaleLeafMatches(ruleSet, kv);
      const events = rulesEvents(reconciled, ctx.partition);
      let evidence: Evidence[];
      try {
        evidence = adapterOf(record.topic).toEvidence(record.value);
      } catch (err) {
        throw invalid(err, record.topic);
      }
      const actions = republishOnRegistryChange(ruleSet, kv, ctx);
      const timers = [];
      if (ruleSet) {
        const evalCfg = registryOf(ctx);
        for (const ev of evidence) {
          const unregistered = unregisteredVehicles(ev, evalCfg);
          if (unregistered.length > 0) {
            events.push({
              kind: UNREGISTERED_VEHICLE_EVENT, level: 'debug',
              message: `${record.topic}: evidence names ${unregistered.length} vehicle(s) the vehicle registry does not list; they do not count toward the fleet or the observed occurrence`,
              details: { topic: record.topic, unregistered: unregistered.length, example: unregistered[0]!.slice(0, 64) },
            });
          }
          const r = ingestEvidence(ruleSet, ev, kv, evalCfg, ctx.watermarkMs);
          actions.push(...r.actions);
          timers.push(...r.timers);
        }
      }
      const requested = toTimers(timers);
      if (!armed.has(ctx.partition)) {
        armed.add(ctx.partition);
        requested.push(checkTimer(ctx.nowMs + checkEveryMs));
      }
      // One record per action key: a row re-published for the registry and then updated by this evidence goes out once, updated.
      return { updates: kv.updates(), outputs: toOutputs([...new Map(actions.map((a) => [a.key, a])).values()]), timers: requested, ...(events.length ? { events } : {}) };
    },
    onTimer(store: ReadonlyStore<unknown>, timer: FiredTimer, ctx: ProcessorContext): ProcessResult<unknown> {
      if (timer.id === RULES_CHECK_TIMER) {
        armed.add(ctx.partition);
        const kv = new StoreOverlay(store, evaluatorBucketOf);
        const reconciled = reconcileRules(ctx.globals.table<RuleSetRecord>(Topics.rules), kv, cache);
        if (reconciled.ruleSet && reconciled.activeChanged) dropStaleLeafMatches(reconciled.ruleSet, kv);
        const events = rulesEvents(reconciled, ctx.partition);
        const refreshed = republishOnRegistryChange(reconciled.ruleSet, kv, ctx);
        return { updates: kv.updates(), outputs: toOutputs(refreshed), timers: [checkTimer(Math.max(ctx.nowMs, timer.atMs) + checkEveryMs)], ...(events.length ? { events } : {}) };
      }
      const key = timer.payload?.['key'];
      if (typeof key !== 'string') return {};
      const kv = new StoreOverlay(store, evaluatorBucketOf);
      const resolved = resolveAction(key, timer.atMs, kv, cfg);
      if (!resolved) return {};
      // The actions behind a resolved one move up: their published ranks are re-published.
      const { ruleSet } = reconcileRules(ctx.globals.table<RuleSetRecord>(Topics.rules), kv, cache);
      return { updates: kv.updates(), outputs: toOutputs([resolved, ...refreshActions(ruleSet, kv, registryOf(ctx))]) };
    },
  };
}

function invalid(err: unknown, topic: string): FmeaflowError {
  if (err instanceof FmeaflowError) return err;
  const field = err instanceof InvalidEvidence ? err.field : undefined;
  return new FmeaflowError(ErrorCodes.INVALID_RECORD, `${topic}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { topic, ...(field ? { field } : {}) } });
}
