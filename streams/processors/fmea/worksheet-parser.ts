/**
 * Parses one rule file's YAML text into a compiled Worksheet, collecting every problem with
 * file, line, column and field: YAML syntax, JSON Schema violations (ajv), then meaning
 * (condition syntax, unknown evidence fields, unknown series, duplicate ids). Pure — the
 * text comes from a file (lint) or from the rules topic (hot reload), so both paths validate
 * identically.
 */
import AjvModule from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';
import schema from '../../../fmea-rules/worksheet.schema.json' with { type: 'json' };
import { CAN_FEATURE_DIMENSIONS, isCanFeatureDimension } from '../can/feature-dimensions.ts';
import { collectRefs, ConditionSyntaxError, parseCondition, type ExprNode } from './condition-expr.ts';
import { parseDurationMs } from './duration.ts';
import type { Condition, FmeaEntry, GroupCondition, RecommendedAction, ScopeKind, Worksheet } from './rule-model.ts';
import { boundedIssue, fieldPath, type RuleIssue } from './rule-issue.ts';
import { parseBoundedYaml, type YamlLimits } from '../yaml-limits.ts';

type Path = (string | number)[];
type Json = Record<string, unknown>;

// ajv's CJS default export needs unwrapping under NodeNext ESM.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
const validateSchema = new (Ajv as unknown as new (o: object) => { compile(s: object): ((d: unknown) => boolean) & { errors?: { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[] | null } })({ allErrors: true, strict: false }).compile(schema);

/**
 * Bounds of one worksheet file (README "FMEA rules"); entry and list counts are bounded by
 * `maxItems` in worksheet.schema.json. The shipped worksheets are a few KiB, 5 levels deep.
 */
export const WORKSHEET_LIMITS: YamlLimits = { maxBytes: 128 * 1024, maxDepth: 24, maxNodes: 50_000, maxIndent: 200 };

const DEFAULT_WINDOW_MS = 3_600_000;
const MAX_SYNTAX_ERRORS = 20;
const SERIES_PSEUDO_FIELDS = new Set(['value', 'zscore', 'z']);
const CLUSTER_EXTRA_FIELDS = new Set(['size', 'share']);
const LEAF_KEYS = ['logCluster', 'canFeature', 'canCluster', 'drift', 'alert', 'dtc', 'canary'] as const;

export interface ParseOptions {
  /** Series names known to exist (metrics, engine series); conditions on others get a warning. Omit to skip the check. */
  readonly knownSeries?: ReadonlySet<string>;
}

export interface ParseResult {
  readonly worksheet?: Worksheet;
  readonly issues: RuleIssue[];
  /**
   * Worksheet and entry ids as far as the YAML could be read, with their lines, even when the
   * file has errors: lint checks ids across files over every file, not only the valid ones.
   */
  readonly entryIds?: EntryIds;
}

export interface EntryIds {
  readonly worksheet?: string;
  readonly entries: readonly { readonly id: string; readonly index: number; readonly line: number; readonly column: number }[];
}

/**
 * Parses and validates one rule file. `worksheet` is set only when there is no error-level
 * issue. Total: whatever the text, the result is issues or a worksheet, never an exception,
 * because the worker runs this on whatever arrives on the rules topic.
 */
export function parseWorksheet(file: string, text: string, opts: ParseOptions = {}): ParseResult {
  let r: ParseResult;
  try {
    r = parseWorksheetText(file, text, opts);
  } catch (err) {
    // Not expected (the fuzz test guards it); a refusal keeps the previous set active instead of failing every record.
    r = { issues: [{ severity: 'error', file, line: 1, column: 1, field: '', message: `worksheet could not be read: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  return { ...r, issues: r.issues.map(boundedIssue) };
}

function parseWorksheetText(file: string, text: string, opts: ParseOptions): ParseResult {
  const { doc, lineCounter: lc, problems } = parseBoundedYaml(text, WORKSHEET_LIMITS);
  const issues: RuleIssue[] = [];
  if (!doc) {
    return { issues: problems.map((p) => ({ severity: 'error', file, line: Math.max(1, lc.linePos(p.offset).line), column: Math.max(1, lc.linePos(p.offset).col), field: '', message: p.message })) };
  }
  // Each error is located with a scan of the text; a few are enough to fix a file, thousands would cost seconds.
  for (const e of doc.errors.slice(0, MAX_SYNTAX_ERRORS)) {
    let offset = e.pos[0];
    // The parser notices an unclosed quote at the end of the document; point at the opening quote instead.
    if (e.code === 'MISSING_CHAR' && /quote/i.test(e.message)) {
      const q = e.message.includes("'") && !e.message.includes('"') ? "'" : '"';
      const open = text.lastIndexOf(q, Math.max(0, offset - 1));
      if (open >= 0) offset = open;
    }
    // An unclosed flow collection is noticed where the document ends; point at its opening bracket.
    const closer = /end with an? ([}\]])/.exec(e.message)?.[1];
    if (closer) offset = unclosedOpener(text, offset, closer === '}' ? '{' : '[', closer) ?? offset;
    const pos = lc.linePos(offset);
    issues.push({ severity: 'error', file, line: pos.line, column: pos.col, field: fieldPath(pathAt(doc.contents as Node | null, offset)), message: `YAML syntax: ${e.message.split('\n')[0]}` });
  }
  for (const p of problems) {
    const pos = lc.linePos(p.offset);
    issues.push({ severity: 'error', file, line: pos.line, column: pos.col, field: fieldPath(pathAt(doc.contents as Node | null, p.offset)), message: p.message });
  }
  if (issues.length > 0) return { issues, entryIds: entryIdsOf(doc, lc) };
  const data = doc.toJS() as unknown;
  const at = (path: Path, key = false, inner = 0): { line: number; column: number } => locate(doc, lc, path, key, inner);
  const push = (severity: RuleIssue['severity'], path: Path, message: string, key = false, inner = 0): void => {
    issues.push({ severity, file, ...at(path, key, inner), field: fieldPath(path), message });
  };

  if (!validateSchema(data)) {
    for (const err of validateSchema.errors ?? []) {
      const path: Path = err.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
      if (err.keyword === 'additionalProperty' || err.keyword === 'additionalProperties') {
        const prop = String(err.params['additionalProperty']);
        push('error', [...path, prop], `unknown field '${prop}'`, true);
      } else if (err.keyword === 'anyOf' || err.keyword === 'if') {
        continue; // its branches already reported the concrete problem
      } else if (err.keyword === 'required') {
        push('error', path, `missing required field '${String(err.params['missingProperty'])}'`);
      } else if (err.keyword === 'enum') {
        push('error', path, `${err.message}: ${JSON.stringify(err.params['allowedValues'])}`);
      } else {
        push('error', path, err.message ?? err.keyword);
      }
    }
    // Meaning checks on a schema-invalid document may meet unexpected shapes; they still
    // report what they can (unknown features, bad conditions) so one lint run shows all.
    try {
      checkMeaning(data as Json, doc, push, opts);
    } catch {
      /* shape problems are already reported by the schema */
    }
    return { issues: dedupe(issues), entryIds: entryIdsOf(doc, lc) };
  }
  return { ...checkMeaning(data as Json, doc, push, opts, issues, file, at), entryIds: entryIdsOf(doc, lc) };
}

/** Offset of the last `open` bracket before `end` that is not closed, skipping quoted text and comments. */
function unclosedOpener(text: string, end: number, open: string, close: string): number | undefined {
  const stack: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < Math.min(end, text.length); i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\n') quote = undefined; // an unclosed quote is reported on its own
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === open) stack.push(i);
    else if (ch === close) stack.pop();
  }
  return stack.at(-1);
}

/** Ids in a (possibly partly broken) document: `worksheet` and each `entries[i].id` that is a string. */
function entryIdsOf(doc: Document, lc: LineCounter): EntryIds {
  const root = doc.contents;
  const out: EntryIds['entries'][number][] = [];
  let worksheet: string | undefined;
  if (isMap(root)) {
    const ws = root.items.find((p) => isScalar(p.key) && p.key.value === 'worksheet')?.value;
    if (isScalar(ws) && typeof ws.value === 'string') worksheet = ws.value;
    const entries = root.items.find((p) => isScalar(p.key) && p.key.value === 'entries')?.value;
    if (isSeq(entries)) {
      entries.items.forEach((item, index) => {
        if (!isMap(item)) return;
        const id = item.items.find((p) => isScalar(p.key) && p.key.value === 'id')?.value;
        if (!isScalar(id) || typeof id.value !== 'string' || !id.range) return;
        const pos = lc.linePos(id.range[0]);
        out.push({ id: id.value, index, line: pos.line, column: pos.col });
      });
    }
  }
  return { ...(worksheet !== undefined ? { worksheet } : {}), entries: out };
}

/**
 * Key path of the deepest node at or before `offset` in a partly parsed document: where a
 * YAML syntax error sits, in the same dotted form as the other issues' fields.
 */
function pathAt(root: Node | null, offset: number): Path {
  const path: Path = [];
  let node: unknown = root;
  for (;;) {
    if (isMap(node)) {
      let next: unknown;
      let key: string | number | undefined;
      for (const p of node.items) {
        const start = (p.key as Node | null)?.range?.[0];
        if (start === undefined || start > offset) break;
        key = isScalar(p.key) ? (p.key.value as string | number) : undefined;
        next = p.value;
      }
      if (key === undefined) return path;
      path.push(key);
      node = next;
    } else if (isSeq(node)) {
      let index = -1;
      node.items.forEach((it, i) => {
        const start = (it as Node | null)?.range?.[0];
        if (start !== undefined && start <= offset) index = i;
      });
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else return path;
  }
}

function checkMeaning(root: Json, doc: Document, push: Push, opts: ParseOptions, issues: RuleIssue[] = [], file = '', at?: (path: Path) => { line: number }): ParseResult {
  const defaults = (root['defaults'] ?? {}) as Json;
  const defWindow = typeof defaults['within'] === 'string' ? parseDurationMs(defaults['within']) ?? DEFAULT_WINDOW_MS : DEFAULT_WINDOW_MS;
  const defScopes = (defaults['scopes'] as ScopeKind[] | undefined) ?? ['vehicle'];
  const defFromField = defaults['occurrenceFromField'] === true;
  const worksheetId = String(root['worksheet']);
  const entryIds = new Map<string, number>();
  const entries: FmeaEntry[] = [];

  (root['entries'] as Json[]).forEach((e, i) => {
    const base: Path = ['entries', i];
    const id = String(e['id']);
    if (entryIds.has(id)) push('error', [...base, 'id'], `duplicate entry id '${id}' (first at entries[${entryIds.get(id)}])`);
    else entryIds.set(id, i);
    const actionIds = new Set<string>();
    const actions: RecommendedAction[] = ((e['actions'] as Json[] | undefined) ?? []).map((a, j) => {
      if (actionIds.has(String(a['id']))) push('error', [...base, 'actions', j, 'id'], `duplicate action id '${String(a['id'])}' in entry ${id}`);
      actionIds.add(String(a['id']));
      return { id: String(a['id']), description: String(a['description']), ownerRole: String(a['owner']), kind: String(a['kind']) };
    });
    const compiled = compileCondition(e['evidence'] as Json, [...base, 'evidence'], doc, push, opts);
    const scopes = (e['scopes'] as ScopeKind[] | undefined) ?? defScopes;
    if (scopes.includes('model')) warnModelless(e['evidence'] as Json, [...base, 'evidence'], push);
    const evidence: GroupCondition = compiled.type === 'group' ? compiled : { type: 'group', op: 'all', children: [compiled] };
    const controls = (e['controls'] ?? {}) as Json;
    entries.push({
      id, worksheet: worksheetId, item: String(e['item']), function: String(e['function']), failureMode: String(e['failureMode']),
      effect: String(e['effect']), cause: String(e['cause']), severity: e['severity'] as number, occurrence: e['occurrence'] as number,
      detection: e['detection'] as number, preventionControls: (controls['prevention'] as string[] | undefined) ?? [],
      detectionControls: (controls['detection'] as string[] | undefined) ?? [], actions,
      scopes: (e['scopes'] as ScopeKind[] | undefined) ?? defScopes,
      occurrenceFromField: typeof e['occurrenceFromField'] === 'boolean' ? e['occurrenceFromField'] : defFromField,
      evidence: { ...evidence, withinMs: evidence.withinMs ?? defWindow }, line: at ? at(base).line : 0,
    });
  });

  const hasError = issues.some((x) => x.severity === 'error');
  return hasError ? { issues } : { issues, worksheet: { id: worksheetId, title: String(root['title'] ?? worksheetId), kind: String(root['kind'] ?? 'DFMEA'), sourceFile: file, entries } };
}

/** Leaf kinds whose records name no vehicle: canary verdicts judge a release across its cohort. */
const VEHICLELESS_LEAVES = new Set(['canary']);

// Every other evidence kind names its vehicles, which the vehicle registry (fmeaflow.vehicles.v1) maps
// to their models. A canary verdict names none, so at model scope such a leaf never matches; like a
// condition on a series that never exists, a warning.
function warnModelless(c: Json, path: Path, push: Push): void {
  if (!c || typeof c !== 'object') return;
  for (const op of ['all', 'any'] as const) {
    if (Array.isArray(c[op])) (c[op] as Json[]).forEach((ch, i) => warnModelless(ch, [...path, op, i], push));
  }
  const kind = LEAF_KEYS.find((k) => k in c);
  if (kind && VEHICLELESS_LEAVES.has(kind)) {
    push('warning', [...path, kind], `at model scope this condition never matches: ${kind} evidence names no vehicle, so the vehicle registry cannot give it a model (see fmea-rules/README.md)`, true);
  }
}

type Push = (severity: RuleIssue['severity'], path: Path, message: string, key?: boolean, inner?: number) => void;

function compileCondition(c: Json, path: Path, doc: Document, push: Push, opts: ParseOptions): Condition {
  const groupKeys = (['all', 'any'] as const).filter((k) => k in c);
  const leafKeys = LEAF_KEYS.filter((k) => k in c);
  if (groupKeys.length + leafKeys.length !== 1) {
    push('error', path, `a condition needs exactly one of all, any, ${LEAF_KEYS.join(', ')}; found ${[...groupKeys, ...leafKeys].join(', ') || 'none'}`);
    return { type: 'group', op: 'all', children: [] };
  }
  if ('within' in c && groupKeys.length === 0) push('error', [...path, 'within'], "'within' belongs on an all/any group", true);
  if (groupKeys.length === 1) {
    const op = groupKeys[0]!;
    const children = (c[op] as Json[]).map((ch, i) => compileCondition(ch, [...path, op, i], doc, push, opts));
    const withinMs = typeof c['within'] === 'string' ? parseDurationMs(c['within']) : undefined;
    return { type: 'group', op, children, ...(withinMs !== undefined ? { withinMs } : {}) };
  }
  const kind = leafKeys[0]!;
  const lp: Path = [...path, kind];
  switch (kind) {
    case 'logCluster': {
      const o = c[kind] as Json;
      const keywords = ((o['keywords'] as string[] | undefined) ?? []).map((k) => k.split('|').map((x) => x.trim().toLowerCase()).filter(Boolean));
      const templates = typeof o['template'] === 'string' ? [o['template']] : [];
      let trend: { kind: 'new' | 'gone' | 'rate'; factor?: number } | undefined;
      if (typeof o['trend'] === 'string') {
        trend = parseTrend(o['trend']);
        if (!trend) push('error', [...lp, 'trend'], `unknown trend '${o['trend']}'; use new, gone, rate_up or 'rate x3'`);
      }
      return { type: 'logCluster', keywords, templates, ...(trend ? { trend } : {}) };
    }
    case 'dtc':
      return { type: 'dtc', codes: (c[kind] as string[]).map((x) => x.toUpperCase()) };
    case 'canary': {
      const o = c[kind] as Json;
      const v = o['verdict'] ?? 'fail';
      return { type: 'canary', metric: String(o['metric']), verdicts: Array.isArray(v) ? (v as string[]) : [String(v)], ...(typeof o['release'] === 'string' ? { release: o['release'] } : {}) };
    }
    default: {
      const raw = c[kind];
      const text = typeof raw === 'string' ? raw : String((raw as Json)['condition']);
      const textPath = typeof raw === 'string' ? lp : [...lp, 'condition'];
      const includeSuppressed = typeof raw === 'object' && (raw as Json)['includeSuppressed'] === true;
      let expr: ExprNode;
      try {
        expr = parseCondition(text);
      } catch (err) {
        if (err instanceof ConditionSyntaxError) {
          push('error', textPath, `condition syntax: ${err.message}`, false, err.column);
          return { type: 'group', op: 'all', children: [] };
        }
        throw err;
      }
      for (const ref of collectRefs(expr)) {
        const problem = checkRef(kind, ref.name, ref.labels.length > 0, opts);
        if (problem) push(problem.severity, textPath, problem.message, false, ref.column);
      }
      return { type: kind, text, expr, includeSuppressed };
    }
  }
}

function checkRef(kind: string, name: string, hasLabels: boolean, opts: ParseOptions): { severity: 'error' | 'warning'; message: string } | undefined {
  const dims = `known: ${CAN_FEATURE_DIMENSIONS.join(', ')}`;
  if (kind === 'canFeature') {
    if (hasLabels) return { severity: 'error', message: `CAN feature '${name}' takes no labels` };
    return isCanFeatureDimension(name) ? undefined : { severity: 'error', message: `unknown CAN feature '${name}' (${dims})` };
  }
  if (kind === 'canCluster') {
    const dim = name.startsWith('normal.') ? name.slice(7) : name;
    if (hasLabels) return { severity: 'error', message: `CAN cluster field '${name}' takes no labels` };
    return isCanFeatureDimension(dim) || CLUSTER_EXTRA_FIELDS.has(name) ? undefined : { severity: 'error', message: `unknown CAN cluster field '${name}' (size, share, <dim>, normal.<dim>; ${dims})` };
  }
  if (SERIES_PSEUDO_FIELDS.has(name.toLowerCase())) return undefined;
  if (opts.knownSeries && !isKnownSeries(name, opts.knownSeries)) return { severity: 'warning', message: `series '${name}' is not produced by any known source; this condition can never match` };
  return undefined;
}

// Windowed series carry their statistic as a suffix (`ecu_service_latency_ms.p95`), which rules may name.
function isKnownSeries(name: string, known: ReadonlySet<string>): boolean {
  if (known.has(name)) return true;
  for (let i = name.lastIndexOf('.'); i > 0; i = name.lastIndexOf('.', i - 1)) if (known.has(name.slice(0, i))) return true;
  return false;
}

function parseTrend(t: string): { kind: 'new' | 'gone' | 'rate'; factor?: number } | undefined {
  const s = t.trim().toLowerCase();
  if (s === 'new') return { kind: 'new' };
  if (s === 'gone') return { kind: 'gone' };
  if (s === 'rate_up' || s === 'rate up') return { kind: 'rate' };
  const m = /^rate\s*(?:x|×|\*|>=)\s*(\d+(?:\.\d+)?)$/.exec(s);
  return m ? { kind: 'rate', factor: Number(m[1]) } : undefined;
}

function locate(doc: Document, lc: LineCounter, path: Path, wantKey: boolean, inner: number): { line: number; column: number } {
  let node: Node | null | undefined = doc.contents as Node | null;
  let best: Node | null | undefined = node;
  for (let i = 0; i < path.length && node; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
      if (!pair) break;
      node = (last && wantKey ? pair.key : pair.value) as Node | null;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg] as Node | undefined;
    } else break;
    if (node) best = node;
  }
  let offset = best?.range?.[0] ?? 0;
  if (inner > 0 && best && isScalar(best)) {
    const quoted = best.type === 'QUOTE_DOUBLE' || best.type === 'QUOTE_SINGLE';
    const block = best.type === 'BLOCK_LITERAL' || best.type === 'BLOCK_FOLDED';
    if (!block) offset += inner + (quoted ? 1 : 0);
  }
  const pos = lc.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function dedupe(issues: RuleIssue[]): RuleIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.column}:${i.field}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
