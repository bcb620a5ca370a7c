/**
 * Hot reload with last-good semantics. Workers read published worksheets from the global
 * `fmea.rules.v1` table; whenever the table changes, all of its worksheets are validated
 * together as one candidate set, and only a set that validates replaces the active one. The
 * accepted YAML texts are kept in the processor's state so a restart resumes with the same
 * last-good set even if the topic now holds a broken version.
 */
import type { RuleIssue } from './rule-issue.ts';
import { formatIssue } from './rule-issue.ts';
import { buildRuleSet, tooManyWorksheets, type RuleSet } from './rule-set.ts';
import type { Worksheet } from './rule-model.ts';
import { parseWorksheet, type ParseOptions } from './worksheet-parser.ts';
import type { KeyValue } from './store-overlay.ts';

/** A record of `fmea.rules.v1` (schemas/rule-set.avsc). */
export interface RuleSetRecord {
  readonly worksheet: string;
  readonly sourceFile: string;
  readonly yaml: string;
  readonly sha256: string;
  readonly publishedAtMs?: number;
  readonly publishedBy?: string | null;
}

export interface ActiveSheet {
  readonly sha: string;
  readonly file: string;
  readonly yaml: string;
  readonly publishedAtMs?: number;
}

export interface ActiveRulesState {
  readonly sheets: Record<string, ActiveSheet>;
  /**
   * The last table (as a whole) that failed validation, by fingerprint: that exact table is
   * reported once and not re-validated per record; any change to the table is a new candidate.
   */
  readonly refused?: { readonly fingerprint: string; readonly issues: readonly string[] };
}

/** Why a candidate rule set was refused, as data: the runtime logs it and counts it. */
export interface RuleSetRefusal {
  /** Fingerprint of the refused table (every worksheet id and content hash). */
  readonly fingerprint: string;
  readonly worksheets: readonly string[];
  readonly errorCount: number;
  /** The first errors, located by file, line, column and field. */
  readonly errors: readonly RuleIssue[];
  /** Fingerprint of the set that stays active, if any. */
  readonly keptFingerprint?: string;
}

/** The rule set in force after a reconcile, for the active-version gauge. */
export interface ActiveRuleSetInfo {
  readonly fingerprint: string;
  /** Newest publication time among the active worksheets (ms), a monotone version for dashboards. */
  readonly version: number;
  readonly worksheets: readonly string[];
  readonly entries: number;
}

/** Event kinds the evaluation reports (ProcessResult.events). */
export const RULES_REFUSED_EVENT = 'fmea.rules.refused';
export const RULES_ACTIVE_EVENT = 'fmea.rules.active';

const MAX_REPORTED_ERRORS = 10;

export const ACTIVE_RULES_KEY = 'rules:active';

/** Caches compiled worksheets by content hash and rule sets by their fingerprint. */
export class RuleSetCache {
  private readonly sheets = new Map<string, { worksheet?: Worksheet; issues: RuleIssue[] }>();
  private lastFingerprint = '';
  private lastSet: RuleSet | undefined;
  constructor(private readonly opts: ParseOptions = {}) {}

  /** Parses (or recalls) one worksheet version. */
  sheet(sha: string, file: string, yaml: string): { worksheet?: Worksheet; issues: RuleIssue[] } {
    let r = this.sheets.get(sha);
    if (!r) {
      r = parseWorksheet(file, yaml, this.opts);
      if (this.sheets.size > 256) this.sheets.clear();
      this.sheets.set(sha, r);
    }
    return r;
  }

  /** Builds the set for a state (or recalls it); undefined when any sheet fails. */
  build(sheets: Readonly<Record<string, { sha: string; file: string; yaml: string }>>): { ruleSet?: RuleSet; issues: RuleIssue[] } {
    const fp = Object.keys(sheets).sort().map((k) => `${k}:${sheets[k]!.sha}`).join('|');
    if (fp === this.lastFingerprint && this.lastSet) return { ruleSet: this.lastSet, issues: [] };
    const tooMany = tooManyWorksheets(Object.keys(sheets).sort().map((k) => sheets[k]!.file));
    if (tooMany) return { issues: [tooMany] };
    const issues: RuleIssue[] = [];
    const compiled: Worksheet[] = [];
    for (const k of Object.keys(sheets).sort()) {
      const s = sheets[k]!;
      const r = this.sheet(s.sha, s.file, s.yaml);
      issues.push(...r.issues);
      if (r.worksheet) compiled.push(r.worksheet);
    }
    if (issues.some((i) => i.severity === 'error')) return { issues };
    const built = buildRuleSet(compiled);
    if (built.ruleSet) { this.lastFingerprint = fp; this.lastSet = built.ruleSet; }
    return built;
  }
}

/** Short stable id of a set of worksheets (id and content hash of each), for logs and metric labels. */
export function fingerprintOf(sheets: Readonly<Record<string, { sha: string }>>): string {
  const text = Object.keys(sheets).sort().map((k) => `${k}:${sheets[k]!.sha}`).join('|');
  // Two FNV-1a passes with different offsets: 64 bits, enough to tell rule-set versions apart.
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193) >>> 0;
    b = Math.imul(b ^ c, 0x01000193 ^ 0x10) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

export interface ReconcileResult {
  readonly ruleSet?: RuleSet;
  /** True when the active set differs from the one stored before this call. */
  readonly activeChanged: boolean;
  /** Set when this call refused a table it had not refused before. */
  readonly refusal?: RuleSetRefusal;
  /** The set in force (when there is one). */
  readonly active?: ActiveRuleSetInfo;
}

/**
 * Reconciles the stored last-good state with the rules table and returns the active set.
 * The candidate is always the whole table, validated as one set: worksheets are published
 * one record per file, so a table read between two records can be inconsistent (an entry
 * moved from A to B shows up twice or not at all); such a table is refused, the last good
 * set stays, and the next change to the table is a fresh candidate. An empty table keeps
 * the last-good set: a worker that has not loaded the table yet must not drop every rule.
 */
export function reconcileRules(table: ReadonlyMap<string, RuleSetRecord>, kv: KeyValue, cache: RuleSetCache): ReconcileResult {
  const stored = kv.get<ActiveRulesState>(ACTIVE_RULES_KEY);
  // States written before whole-table validation kept refusals per worksheet; they carry no fingerprint.
  const prev: ActiveRulesState = { sheets: stored?.sheets ?? {}, ...(typeof stored?.refused?.fingerprint === 'string' ? { refused: stored.refused } : {}) };
  let sheets = prev.sheets;
  let refusal: RuleSetRefusal | undefined;
  if (table.size > 0 && !sameSheets(table, sheets)) {
    const candidate: Record<string, ActiveSheet> = {};
    for (const [ws, rec] of table) {
      if (rec) candidate[ws] = { sha: rec.sha256, file: rec.sourceFile, yaml: rec.yaml, ...(rec.publishedAtMs !== undefined ? { publishedAtMs: Number(rec.publishedAtMs) } : {}) };
    }
    const fingerprint = fingerprintOf(candidate);
    if (prev.refused?.fingerprint !== fingerprint) {
      const built = Object.keys(candidate).length > 0 ? cache.build(candidate) : { issues: [] };
      if (built.ruleSet || Object.keys(candidate).length === 0) {
        sheets = candidate;
        kv.set(ACTIVE_RULES_KEY, { sheets } satisfies ActiveRulesState);
      } else {
        const errors = built.issues.filter((i) => i.severity === 'error');
        const kept = Object.keys(sheets).length > 0 ? fingerprintOf(sheets) : undefined;
        refusal = { fingerprint, worksheets: Object.keys(candidate).sort(), errorCount: errors.length, errors: errors.slice(0, MAX_REPORTED_ERRORS), ...(kept ? { keptFingerprint: kept } : {}) };
        kv.set(ACTIVE_RULES_KEY, { sheets, refused: { fingerprint, issues: refusal.errors.map(formatIssue) } } satisfies ActiveRulesState);
      }
    }
  }
  const activeChanged = sheets !== prev.sheets;
  if (Object.keys(sheets).length === 0) return { activeChanged, ...(refusal ? { refusal } : {}) };
  const built = cache.build(sheets);
  if (!built.ruleSet) return { activeChanged, ...(refusal ? { refusal } : {}) };
  const active: ActiveRuleSetInfo = {
    fingerprint: fingerprintOf(sheets), version: Math.max(0, ...Object.values(sheets).map((s) => s.publishedAtMs ?? 0)),
    worksheets: Object.keys(sheets).sort(), entries: built.ruleSet.entries.length,
  };
  return { ruleSet: built.ruleSet, activeChanged, active, ...(refusal ? { refusal } : {}) };
}

// Cheap per-record check that the table still holds exactly the active worksheets.
function sameSheets(table: ReadonlyMap<string, RuleSetRecord>, sheets: Readonly<Record<string, ActiveSheet>>): boolean {
  let n = 0;
  for (const [ws, rec] of table) {
    if (!rec) continue;
    if (sheets[ws]?.sha !== rec.sha256) return false;
    n++;
  }
  return n === Object.keys(sheets).length;
}
