/**
 * Hot reload with last-good semantics. Workers read published worksheets from the global
 * `fmea.rules.v1` table; every changed worksheet is re-validated together with the rest of
 * the active set, and only a set that validates replaces the active one. The accepted YAML
 * texts are kept in the processor's state so a restart resumes with the same last-good set
 * even if the topic now holds a broken version.
 */
import type { RuleIssue } from './rule-issue.ts';
import { formatIssue } from './rule-issue.ts';
import { buildRuleSet, type RuleSet } from './rule-set.ts';
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

export interface ActiveRulesState {
  readonly sheets: Record<string, { sha: string; file: string; yaml: string }>;
  /** Versions that failed validation, so each is checked once and reported, not retried per record. */
  readonly refused: Record<string, { sha: string; issues: string[] }>;
}

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
  build(sheets: ActiveRulesState['sheets']): { ruleSet?: RuleSet; issues: RuleIssue[] } {
    const fp = Object.keys(sheets).sort().map((k) => `${k}:${sheets[k]!.sha}`).join('|');
    if (fp === this.lastFingerprint && this.lastSet) return { ruleSet: this.lastSet, issues: [] };
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

/**
 * Reconciles the stored last-good state with the rules table and returns the active set.
 * An empty table keeps the last-good set: a worker that has not loaded the table yet must
 * not drop every rule.
 */
export function reconcileRules(table: ReadonlyMap<string, RuleSetRecord>, kv: KeyValue, cache: RuleSetCache): { ruleSet?: RuleSet; refusedNow: { worksheet: string; issues: string[] }[]; activeChanged: boolean } {
  const prev = kv.get<ActiveRulesState>(ACTIVE_RULES_KEY) ?? { sheets: {}, refused: {} };
  let sheets = prev.sheets;
  const refused = { ...prev.refused };
  const refusedNow: { worksheet: string; issues: string[] }[] = [];
  let changed = false;
  for (const [ws, rec] of table) {
    if (!rec || sheets[ws]?.sha === rec.sha256 || refused[ws]?.sha === rec.sha256) continue;
    const candidate = { ...sheets, [ws]: { sha: rec.sha256, file: rec.sourceFile, yaml: rec.yaml } };
    const built = cache.build(candidate);
    changed = true;
    if (built.ruleSet) {
      sheets = candidate;
      delete refused[ws];
    } else {
      const issues = built.issues.filter((i) => i.severity === 'error').slice(0, 10).map(formatIssue);
      refused[ws] = { sha: rec.sha256, issues };
      refusedNow.push({ worksheet: ws, issues });
    }
  }
  if (table.size > 0) {
    for (const ws of Object.keys(sheets)) {
      if (!table.get(ws)) {
        const { [ws]: _removed, ...rest } = sheets;
        sheets = rest;
        changed = true;
      }
    }
  }
  if (changed) kv.set(ACTIVE_RULES_KEY, { sheets, refused } satisfies ActiveRulesState);
  const activeChanged = sheets !== prev.sheets;
  if (Object.keys(sheets).length === 0) return { refusedNow, activeChanged };
  const built = cache.build(sheets);
  return built.ruleSet ? { ruleSet: built.ruleSet, refusedNow, activeChanged } : { refusedNow, activeChanged };
}
