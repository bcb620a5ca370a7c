/**
 * The FMEA evaluation core: evidence in, activated actions out. For each evidence item it
 * finds the rule leaves it satisfies, adds the match to a short history per leaf and scope
 * (vehicle, model, fleet), then re-evaluates the all/any trees of the touched entries: an entry
 * is active when some choice of remembered matches fits its time windows (leaf-window.ts), so
 * the outcome does not depend on which topic's evidence arrived first. An activated entry
 * becomes an action keyed by entry + scope; repeated evidence updates that action (last seen,
 * evidence lists, observed occurrence) instead of adding another. State lives in a KeyValue so
 * the processor, `rules test` and benchmarks share this code unchanged.
 */
import { actionPriority, apWeight } from './action-priority.ts';
import { emptyEvidence, type ActionEvidence, type FmeaAction } from './action.ts';
import type { Evidence } from './evidence/evidence.ts';
import { leafMatches } from './leaf-match.ts';
import { addMatch, collectEvidence, DEFAULT_MATCHES_PER_LEAF, support, trackOf, type LeafMatch, type LeafTrack, type Support } from './leaf-window.ts';
import { occurrenceFromShare, type OccurrenceTable } from './occurrence.ts';
import type { Condition, FmeaEntry, LeafCondition, ScopeKind } from './rule-model.ts';
import type { IndexedLeaf, RuleSet } from './rule-set.ts';
import { riskPriorityNumber } from './rpn.ts';
import type { KeyValue } from './store-overlay.ts';

/** The registered fleet (the vehicle registry, `fmeaflow.vehicles.v1`): who counts toward the observed occurrence. */
export interface RegisteredFleet {
  /** Registered vehicles (0 = empty registry). */
  readonly size: number;
  isRegistered(vehicleId: string): boolean;
}

export interface EvaluatorConfig {
  readonly occurrenceTable: OccurrenceTable;
  /** Fleet size for observed occurrence, set by the operator; when absent, the registered fleet's size. */
  readonly fleetSize?: number;
  /**
   * The vehicle registry. Vehicle ids arrive in evidence and are untrusted: when the registry lists vehicles, only those
   * count as fleet and as affected, so ids nobody registered (spoofed or misconfigured) neither dilute nor inflate the
   * observed occurrence. Without a registry and without `fleetSize` the fleet is unknown and no observed O is given.
   */
  readonly registry?: RegisteredFleet;
  /** Vehicle → model, for the `model` scope when evidence does not name the model (the vehicle registry). */
  readonly modelOf?: (vehicleId: string) => string | undefined;
  /** Vehicles of a model, the denominator of a model-scope action's observed O (0/absent = unknown, no observed O). */
  readonly vehiclesOfModel?: (model: string) => number;
  /** Items kept per evidence list of an action (default 20). */
  readonly maxListItems?: number;
  /** An action not re-activated for this long turns RESOLVED (default 24 h). */
  readonly resolveAfterMs?: number;
  /** Cap on vehicles remembered per entry for the observed occurrence (default 200 000). */
  readonly maxAffectedTracked?: number;
  /**
   * Matches remembered per (scope, leaf) inside the entry's window (default 16). Up to this many the outcome is
   * the same for every arrival order; above it the history is thinned evenly over the window.
   */
  readonly maxMatchesPerLeaf?: number;
}

/** A stored leaf history; a single match is the layout before histories (read from older changelogs). */
type StoredMatches = { readonly m: readonly LeafMatch[] } | LeafMatch;
const historyOf = (v: StoredMatches | undefined): readonly LeafMatch[] => (v === undefined ? [] : 'm' in v ? v.m : [v]);

export interface EvaluationResult {
  readonly actions: FmeaAction[];
  /** Resolve timers to (re-)arm: action key → event time. */
  readonly timers: { key: string; atMs: number }[];
}

// Leaf match histories live under `lm:<scope>|<leafId>`, one key each: an event rewrites only the leaves it matched (a
// whole-scope object would put every leaf's summary into the changelog on every event; measured 72 kB per event with
// 2,000 leaves, see bench/RESULTS.md).
const K = { leafMatch: 'lm:', action: 'act:', affected: 'aff:', affectedOfModel: 'affm:', rankHist: 'rank:hist' } as const;

/**
 * Store buckets (`Processor.storeBucket`): the stored actions and the leaf histories are read by prefix (every open action
 * when ranks move, every leaf history when the rules change), so each kind is one bucket and such a read costs the keys of
 * that kind, not the whole store (350k keys in bench/fmea-evaluate.ts, read on every event that moved a rank).
 */
export function evaluatorBucketOf(key: string): string | undefined {
  if (key.startsWith(K.action)) return K.action;
  if (key.startsWith(K.leafMatch)) return K.leafMatch;
  return undefined;
}

/**
 * Open actions grouped by (AP weight, RPN) into buckets holding their affected-vehicle counts,
 * sorted. Rank is competition ranking (ties share a rank): every action in a better bucket
 * plus those in the same bucket with more affected vehicles. An update touches one or two
 * buckets (copied on write), so its cost does not grow with the number of stored actions.
 */
type RankBuckets = Record<string, number[]>;

function upperBound(xs: readonly number[], x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (xs[mid]! <= x) lo = mid + 1; else hi = mid; }
  return lo;
}

class RankIndex {
  private readonly buckets: RankBuckets;
  private readonly touched = new Set<string>();
  constructor(private readonly kv: KeyValue) {
    this.buckets = { ...(kv.get<RankBuckets>(K.rankHist) ?? {}) };
  }
  private bucket(a: FmeaAction): string {
    return `${apWeight(a.actionPriority)}|${a.rpn}`;
  }
  private edit(key: string): number[] {
    if (!this.touched.has(key)) { this.buckets[key] = [...(this.buckets[key] ?? [])]; this.touched.add(key); }
    return this.buckets[key]!;
  }
  /** Replaces `prev` (if any) by `next` (if any). */
  move(prev: FmeaAction | undefined, next: FmeaAction | undefined): void {
    if (prev && prev.status !== 'RESOLVED') {
      const xs = this.edit(this.bucket(prev));
      const i = upperBound(xs, prev.affectedVehicles) - 1;
      if (i >= 0 && xs[i] === prev.affectedVehicles) xs.splice(i, 1);
    }
    if (next && next.status !== 'RESOLVED') {
      const xs = this.edit(this.bucket(next));
      xs.splice(upperBound(xs, next.affectedVehicles), 0, next.affectedVehicles);
    }
  }
  /** 1 + open actions strictly ahead of `a`. */
  rankOf(a: FmeaAction): number {
    const w = apWeight(a.actionPriority);
    let ahead = 0;
    for (const [key, xs] of Object.entries(this.buckets)) {
      const bar = key.indexOf('|');
      const bw = Number(key.slice(0, bar));
      const br = Number(key.slice(bar + 1));
      if (bw > w || (bw === w && br > a.rpn)) ahead += xs.length;
      else if (bw === w && br === a.rpn) ahead += xs.length - upperBound(xs, a.affectedVehicles);
    }
    return ahead + 1;
  }
  /** Writes the buckets back when they changed. */
  flush(): void {
    if (this.touched.size === 0) return;
    for (const k of this.touched) if (this.buckets[k]!.length === 0) delete this.buckets[k];
    this.kv.set(K.rankHist, this.buckets);
  }
}

function summarize(ev: Evidence, max: number): Partial<ActionEvidence> {
  const base = { vehicles: ev.vehicles.slice(0, max), traceIds: ev.traceIds.slice(0, max) };
  switch (ev.kind) {
    case 'logCluster': return { ...base, logClusterIds: [ev.clusterId], keywords: ev.keywords.slice(0, 8) };
    case 'drift': return { ...base, driftEvents: [`${ev.ref}${ev.zScore !== undefined ? ` z=${ev.zScore.toFixed(2)}` : ''}@${ev.timeMs}`] };
    case 'alert': return { ...base, alerts: [`${ev.ref}@${ev.timeMs}`] };
    case 'canary': return { ...base, canaryVerdicts: [`${ev.ref}=${ev.verdict}`] };
    case 'canFeature': return { ...base, canFeatureWindows: [`${ev.ref}@${ev.timeMs}`], dtcCodes: ev.dtcCodes.slice(0, max) };
    case 'canCluster': return { ...base, canClusters: [ev.ref] };
  }
}

function mergeEvidence(into: ActionEvidence, parts: readonly Partial<ActionEvidence>[], max: number): ActionEvidence {
  const out = { ...into } as Record<keyof ActionEvidence, string[]>;
  for (const p of parts) {
    for (const [k, list] of Object.entries(p) as [keyof ActionEvidence, string[]][]) {
      const cur = out[k].filter((x) => !list.includes(x));
      out[k] = [...cur, ...list].slice(-max);
    }
  }
  return out;
}

function scopesOf(ev: Evidence, cfg: EvaluatorConfig): { kind: ScopeKind; id: string }[] {
  const out: { kind: ScopeKind; id: string }[] = ev.vehicles.map((v) => ({ kind: 'vehicle' as const, id: v }));
  const models = new Set<string>();
  if (ev.model) models.add(ev.model);
  else if (cfg.modelOf) for (const v of ev.vehicles) { const m = cfg.modelOf(v); if (m) models.add(m); }
  for (const m of models) out.push({ kind: 'model', id: m });
  out.push({ kind: 'fleet', id: 'fleet' });
  return out;
}

function leavesOf(c: Condition, out: LeafCondition[] = []): LeafCondition[] {
  if (c.type === 'group') for (const ch of c.children) leavesOf(ch, out);
  else out.push(c);
  return out;
}

/** Deletes remembered leaf matches of leaves the rule set no longer has (after a rules change; one pass over the store). */
export function dropStaleLeafMatches(rs: RuleSet, kv: KeyValue): number {
  let dropped = 0;
  for (const [key] of [...kv.entries<StoredMatches>(K.leafMatch)]) {
    // Leaf ids (entry id + position) never contain '|'; scope ids might.
    if (!rs.leafIdSet.has(key.slice(key.lastIndexOf('|') + 1))) {
      kv.set(key, null);
      dropped++;
    }
  }
  return dropped;
}

/** Fleet size in force: configured, else the registered vehicles (0 = unknown). */
export function fleetSizeOf(cfg: EvaluatorConfig): number {
  return cfg.fleetSize ?? cfg.registry?.size ?? 0;
}

/** Whether a vehicle may count toward the observed occurrence: any vehicle when no registry is in use, else registered ones only. */
function countsTowardFleet(vehicleId: string, cfg: EvaluatorConfig): boolean {
  return !cfg.registry || cfg.registry.size === 0 || cfg.registry.isRegistered(vehicleId);
}

/** Vehicles of the evidence the registry does not list (none when no registry is in use). */
export function unregisteredVehicles(ev: Evidence, cfg: EvaluatorConfig): string[] {
  return ev.vehicles.filter((v) => !countsTowardFleet(v, cfg));
}

/**
 * Feeds one evidence item through the rule set; returns the actions it created or updated. `watermarkMs` is
 * the input's event-time watermark: evidence older than it is routed as late and never evaluated, so matches
 * more than a window behind it can no longer complete anything and are dropped.
 */
export function ingestEvidence(rs: RuleSet, ev: Evidence, kv: KeyValue, cfg: EvaluatorConfig, watermarkMs = Number.NEGATIVE_INFINITY): EvaluationResult {
  const max = cfg.maxListItems ?? 20;
  const perLeaf = cfg.maxMatchesPerLeaf ?? DEFAULT_MATCHES_PER_LEAF;
  const candidates: readonly IndexedLeaf[] = rs.leavesByKind.get(ev.kind) ?? [];
  const matched = candidates.filter((l) => leafMatches(l.leaf, ev));
  if (matched.length === 0) return { actions: [], timers: [] };
  const summary = summarize(ev, max);
  const scopes = scopesOf(ev, cfg);
  const actions: FmeaAction[] = [];
  const timers: { key: string; atMs: number }[] = [];
  const entries = new Set<FmeaEntry>(matched.map((m) => m.entry));
  const ranks = new RankIndex(kv);
  let moved = false;

  for (const scope of scopes) {
    const relevant = matched.filter((m) => m.entry.scopes.includes(scope.kind));
    if (relevant.length === 0) continue;
    // One key per (scope, leaf): bounded by the leaves a scope ever matched. Keys of leaves whose entry was
    // removed from the rules are deleted by dropStaleLeafMatches when the rule set changes.
    const prefix = `${K.leafMatch}${scope.kind}:${scope.id}|`;
    const fresh = new Set<string>();
    for (const m of relevant) {
      const windowMs = m.entry.evidence.withinMs ?? rs.maxWindowMs;
      const history = addMatch(historyOf(kv.get<StoredMatches>(prefix + m.leafId)), { t: ev.timeMs, s: summary }, watermarkMs - windowMs, perLeaf);
      kv.set(prefix + m.leafId, { m: history });
      fresh.add(m.leafId);
    }
    for (const entry of entries) {
      if (!entry.scopes.includes(scope.kind)) continue;
      const tracks = new Map<LeafCondition, LeafTrack>();
      for (const leaf of leavesOf(entry.evidence)) {
        const leafId = rs.leafIds.get(leaf)!;
        tracks.set(leaf, trackOf(historyOf(kv.get<StoredMatches>(prefix + leafId)), fresh.has(leafId) ? ev.timeMs : undefined));
      }
      const track = (leaf: LeafCondition) => tracks.get(leaf)!;
      const windowMs = entry.evidence.withinMs ?? rs.maxWindowMs;
      const holds = support(entry.evidence, track, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, windowMs);
      // Only evidence that takes part in a valid choice updates the action; a late part that completes nothing is not news.
      if (!holds?.withFresh) continue;
      const acc: Partial<ActionEvidence>[] = [];
      collectEvidence(entry.evidence, track, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, windowMs, acc);
      const prev = kv.get<FmeaAction>(K.action + `${entry.id}|${scope.kind}:${scope.id}`);
      const action = upsertAction(entry, scope, holds, acc, kv, cfg, max, ranks, ev.model);
      if (!prev || prev.status === 'RESOLVED' || !sameStanding(prev, action) || prev.rank !== action.rank) moved = true;
      actions.push(action);
      timers.push({ key: action.key, atMs: action.lastSeenMs + (cfg.resolveAfterMs ?? 86_400_000) });
    }
  }
  ranks.flush();
  // A new row or a changed standing can move other rows' O (same entry) or rank.
  if (moved) {
    const latest = new Map(actions.map((a) => [a.key, a]));
    for (const a of refreshActions(rs, kv, cfg, new Set([...entries].map((e) => e.id)))) latest.set(a.key, a);
    return { actions: [...latest.values()], timers };
  }
  return { actions, timers };
}

function upsertAction(entry: FmeaEntry, scope: { kind: ScopeKind; id: string }, holds: Support, acc: Partial<ActionEvidence>[], kv: KeyValue, cfg: EvaluatorConfig, max: number, ranks: RankIndex, evidenceModel?: string): FmeaAction {
  const key = `${entry.id}|${scope.kind}:${scope.id}`;
  const prev = kv.get<FmeaAction>(K.action + key);
  // One key per (entry, vehicle) plus a counter: O(1) per update however many vehicles are affected.
  const countKey = `${K.affected}${entry.id}`;
  let affectedN = kv.get<number>(countKey) ?? 0;
  // A vehicle is affected when the entry is active for it. At model/fleet scope the evidence may combine leaves
  // of different vehicles (one with the log cluster, another with the drift); those vehicles are named in the
  // evidence but are not affected, and counting them would inflate the observed O. Only entries judged at
  // fleet level alone count the vehicles of their evidence.
  const candidates = scope.kind === 'vehicle' ? [scope.id] : entry.scopes.includes('vehicle') ? [] : acc.flatMap((a) => a.vehicles ?? []);
  for (const v of candidates) {
    if (!countsTowardFleet(v, cfg)) continue;
    const vk = `${countKey}|${v}`;
    if (kv.get(vk) !== undefined || affectedN >= (cfg.maxAffectedTracked ?? 200_000)) continue;
    kv.set(vk, 1);
    affectedN++;
    // Each affected vehicle also counts once for its model, so a model's action reports that model's share only.
    const model = cfg.modelOf?.(v) ?? evidenceModel;
    if (model !== undefined) {
      const mk = `${K.affectedOfModel}${entry.id}|${model}`;
      kv.set(mk, (kv.get<number>(mk) ?? 0) + 1);
    }
  }
  if (affectedN !== (kv.get<number>(countKey) ?? 0)) kv.set(countKey, affectedN);
  const evidence = mergeEvidence(prev?.evidence ?? emptyEvidence(), acc, max);
  const action: FmeaAction = withCurrentCounts({
    key, entryId: entry.id, worksheet: entry.worksheet, scopeKind: scope.kind, scopeId: scope.id, item: entry.item, function: entry.function,
    failureMode: entry.failureMode, effect: entry.effect, cause: entry.cause, severity: entry.severity, occurrenceWorksheet: entry.occurrence,
    occurrenceObserved: null, occurrence: entry.occurrence, detection: entry.detection, rpn: 0, actionPriority: 'L', rank: 0, affectedVehicles: 0, fleetSize: 0,
    recommendedActions: entry.actions.map((a) => ({ ...a })), evidence,
    firstSeenMs: prev ? Math.min(prev.firstSeenMs, holds.since) : holds.since, lastSeenMs: prev ? Math.max(prev.lastSeenMs, holds.latest) : holds.latest,
    updateCount: (prev?.updateCount ?? 0) + 1, status: !prev ? 'NEW' : prev.status === 'RESOLVED' ? 'REOPENED' : 'ONGOING',
  }, entry, kv, cfg);
  ranks.move(prev, action);
  const ranked = { ...action, rank: ranks.rankOf(action) };
  kv.set(K.action + key, ranked);
  return ranked;
}

/**
 * The fields of an action that follow from the counts as they stand now. The observed O is one value per
 * entry and scope kind: vehicle rows and the fleet row use the entry's affected share of the fleet, a model
 * row its model's share of that model's vehicles. `affectedVehicles` is the affected vehicles within the
 * row's own scope: 1 on a vehicle row, the model's on a model row, the entry's across the fleet on the fleet row.
 */
function withCurrentCounts(a: FmeaAction, entry: FmeaEntry, kv: KeyValue, cfg: EvaluatorConfig): FmeaAction {
  const model = a.scopeKind === 'model';
  const affected = model ? kv.get<number>(`${K.affectedOfModel}${entry.id}|${a.scopeId}`) ?? 0 : kv.get<number>(`${K.affected}${entry.id}`) ?? 0;
  const fleet = model ? cfg.vehiclesOfModel?.(a.scopeId) ?? 0 : fleetSizeOf(cfg);
  const observed = occurrenceFromShare(affected, fleet, cfg.occurrenceTable) ?? null;
  const o = entry.occurrenceFromField && observed !== null ? observed : entry.occurrence;
  return {
    ...a, occurrenceObserved: observed, occurrence: o, rpn: riskPriorityNumber(entry.severity, o, entry.detection),
    actionPriority: actionPriority(entry.severity, o, entry.detection), affectedVehicles: a.scopeKind === 'vehicle' ? 1 : affected, fleetSize: fleet,
  };
}

const sameStanding = (a: FmeaAction, b: FmeaAction): boolean =>
  a.occurrenceObserved === b.occurrenceObserved && a.occurrence === b.occurrence && a.rpn === b.rpn && a.actionPriority === b.actionPriority && a.affectedVehicles === b.affectedVehicles && a.fleetSize === b.fleetSize;

/**
 * Keeps every published action current after counts or standings moved: open actions whose observed O (a new
 * affected vehicle of their entry, a larger fleet) or whose rank (another action overtook them or left) changed
 * are stored and returned for re-publication, evidence, times and update count unchanged. One pass over the
 * stored actions; callers run it only when something that could move them changed, and name the entries whose counts
 * changed (`countsChangedFor`) when only those can have a new O.
 */
export function refreshActions(rs: RuleSet | undefined, kv: KeyValue, cfg: EvaluatorConfig, countsChangedFor?: ReadonlySet<string>): FmeaAction[] {
  const ranks = new RankIndex(kv);
  const stored = [...kv.entries<FmeaAction>(K.action)].map(([, a]) => a).filter((a) => a.status !== 'RESOLVED');
  const current = stored.map((a) => {
    // Only the entries whose affected counts just changed can have a new O (the fleet and model sizes are re-checked on
    // every record and rules check, fmea-evaluate.ts): the others keep their standing and only their rank is re-read.
    if (countsChangedFor && !countsChangedFor.has(a.entryId)) return a;
    const entry = rs?.entriesById.get(a.entryId);
    if (!entry) return a;
    const next = withCurrentCounts(a, entry, kv, cfg);
    if (sameStanding(a, next)) return a;
    ranks.move(a, next);
    return next;
  });
  ranks.flush();
  const out: FmeaAction[] = [];
  for (const [i, a] of current.entries()) {
    const ranked = a.rank === ranks.rankOf(a) && a === stored[i] ? a : { ...a, rank: ranks.rankOf(a) };
    if (ranked === stored[i]) continue;
    kv.set(K.action + a.key, ranked);
    out.push(ranked);
  }
  return out;
}

/** Marks an action RESOLVED when its resolve timer fires and no newer evidence arrived. */
export function resolveAction(key: string, atMs: number, kv: KeyValue, cfg: EvaluatorConfig): FmeaAction | undefined {
  const prev = kv.get<FmeaAction>(K.action + key);
  if (!prev || prev.status === 'RESOLVED' || prev.lastSeenMs + (cfg.resolveAfterMs ?? 86_400_000) > atMs) return undefined;
  const resolved: FmeaAction = { ...prev, status: 'RESOLVED', rank: 0 };
  const ranks = new RankIndex(kv);
  ranks.move(prev, undefined);
  ranks.flush();
  kv.set(K.action + key, resolved);
  return resolved;
}

/** All stored actions (for `rules test` and the demo view). */
export function storedActions(kv: KeyValue): FmeaAction[] {
  return [...kv.entries<FmeaAction>(K.action)].map(([, a]) => a);
}
