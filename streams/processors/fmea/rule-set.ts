/**
 * A rule set: every active worksheet compiled together, with the checks that span files
 * (duplicate entry ids) and the indexes evaluation needs (entries by evidence kind, stable
 * leaf ids). A set with any error is never built, which is what keeps a broken publish from
 * replacing a working one.
 */
import { leafKinds, maxWindowMs, type Condition, type FmeaEntry, type LeafCondition, type Worksheet } from './rule-model.ts';
import type { RuleIssue } from './rule-issue.ts';
import { parseWorksheet, type EntryIds, type ParseOptions } from './worksheet-parser.ts';

export interface IndexedLeaf {
  /** `<entryId>/<path>`; unique within the set, used as the key of per-scope match state. */
  readonly leafId: string;
  readonly entry: FmeaEntry;
  readonly leaf: LeafCondition;
}

export interface RuleSet {
  readonly worksheets: readonly Worksheet[];
  readonly entries: readonly FmeaEntry[];
  readonly entriesById: ReadonlyMap<string, FmeaEntry>;
  /** Leaves by the evidence kind they can match. */
  readonly leavesByKind: ReadonlyMap<string, readonly IndexedLeaf[]>;
  readonly leafIds: ReadonlyMap<Condition, string>;
  readonly leafIdSet: ReadonlySet<string>;
  readonly maxWindowMs: number;
}

/** Most worksheets in one rule set (README "FMEA rules"): each costs a parse on every worker whenever the set changes. */
export const MAX_WORKSHEETS = 200;

/** The refusal of a set with more than MAX_WORKSHEETS worksheets, located at the first one past the bound. */
export function tooManyWorksheets(files: readonly string[]): RuleIssue | undefined {
  if (files.length <= MAX_WORKSHEETS) return undefined;
  return { severity: 'error', file: files[MAX_WORKSHEETS]!, line: 1, column: 1, field: '', message: `a rule set holds at most ${MAX_WORKSHEETS} worksheets; this one has ${files.length} (merge worksheets)` };
}

export interface RuleFileText {
  readonly file: string;
  readonly text: string;
}

/** Compiles worksheets (already parsed) into a set; returns issues for cross-file problems. */
export function buildRuleSet(worksheets: readonly Worksheet[]): { ruleSet?: RuleSet; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  const seen = new Map<string, string>();
  const seenSheets = new Map<string, string>();
  for (const ws of worksheets) {
    if (seenSheets.has(ws.id)) issues.push({ severity: 'error', file: ws.sourceFile, line: 1, column: 1, field: 'worksheet', message: `duplicate worksheet id '${ws.id}' (also in ${seenSheets.get(ws.id)})` });
    seenSheets.set(ws.id, ws.sourceFile);
    for (const e of ws.entries) {
      const other = seen.get(e.id);
      if (other !== undefined) issues.push({ severity: 'error', file: ws.sourceFile, line: e.line, column: 1, field: `${e.id}.id`, message: `duplicate entry id '${e.id}' (also in ${other})` });
      else seen.set(e.id, ws.sourceFile);
    }
  }
  if (issues.length > 0) return { issues };
  const entries = worksheets.flatMap((w) => w.entries);
  const leavesByKind = new Map<string, IndexedLeaf[]>();
  const leafIds = new Map<Condition, string>();
  let maxWindow = 0;
  for (const entry of entries) {
    maxWindow = Math.max(maxWindow, maxWindowMs(entry.evidence, entry.evidence.withinMs ?? 0));
    const walk = (c: Condition, path: string): void => {
      if (c.type === 'group') { c.children.forEach((ch, i) => walk(ch, `${path}.${c.op}[${i}]`)); return; }
      const leafId = `${entry.id}/${path}`;
      leafIds.set(c, leafId);
      for (const kind of leafKinds(c)) {
        const list = leavesByKind.get(kind) ?? [];
        list.push({ leafId, entry, leaf: c });
        leavesByKind.set(kind, list);
      }
    };
    walk(entry.evidence, 'evidence');
  }
  return { issues, ruleSet: { worksheets, entries, entriesById: new Map(entries.map((e) => [e.id, e])), leavesByKind, leafIds, leafIdSet: new Set(leafIds.values()), maxWindowMs: maxWindow } };
}

/**
 * Duplicate worksheet and entry ids across files, from the ids each file's YAML yielded even
 * when it has other errors (a lint run must show every problem, not only the first file's).
 */
export function crossFileDuplicates(files: readonly { file: string; ids: EntryIds }[]): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const sheets = new Map<string, string>();
  const entries = new Map<string, string>();
  for (const { file, ids } of files) {
    if (ids.worksheet !== undefined) {
      const other = sheets.get(ids.worksheet);
      if (other !== undefined) issues.push({ severity: 'error', file, line: 1, column: 1, field: 'worksheet', message: `duplicate worksheet id '${ids.worksheet}' (also in ${other})` });
      else sheets.set(ids.worksheet, file);
    }
    const local = new Set<string>();
    for (const e of ids.entries) {
      if (local.has(e.id)) continue; // a duplicate within the file is the parser's to report
      local.add(e.id);
      const other = entries.get(e.id);
      if (other !== undefined) issues.push({ severity: 'error', file, line: e.line, column: e.column, field: `entries[${e.index}].id`, message: `duplicate entry id '${e.id}' (also in ${other})` });
      else entries.set(e.id, file);
    }
  }
  return issues;
}

/** Parses files and builds the set; `ruleSet` only when no file has an error. */
export function compileRuleFiles(files: readonly RuleFileText[], opts: ParseOptions = {}): { ruleSet?: RuleSet; issues: RuleIssue[] } {
  const tooMany = tooManyWorksheets(files.map((f) => f.file));
  if (tooMany) return { issues: [tooMany] };
  const issues: RuleIssue[] = [];
  const sheets: Worksheet[] = [];
  const ids: { file: string; ids: EntryIds }[] = [];
  for (const f of files) {
    const r = parseWorksheet(f.file, f.text, opts);
    issues.push(...r.issues);
    if (r.worksheet) sheets.push(r.worksheet);
    if (r.entryIds) ids.push({ file: f.file, ids: r.entryIds });
  }
  if (issues.some((i) => i.severity === 'error')) return { issues: [...issues, ...crossFileDuplicates(ids)] };
  const built = buildRuleSet(sheets);
  return built.ruleSet ? { ruleSet: built.ruleSet, issues: [...issues, ...built.issues] } : { issues: [...issues, ...built.issues] };
}
