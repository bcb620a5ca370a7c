/**
 * Reads a suppression policy file from its text: YAML syntax, then the JSON Schema
 * (config/suppression-policies.schema.json, ajv), then meaning (matcher syntax,
 * duplicate names). Every problem names file, line, column and field: ajv reports JSON
 * pointers, and the `yaml` document (parsed with a LineCounter) maps each pointer back
 * to the node's source offset. Pure: the caller reads the file.
 */
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, type Document, type LineCounter } from 'yaml';
import schema from '../../../config/suppression-policies.schema.json' with { type: 'json' };
import { ErrorCodes, FmeaflowError, SourceLocationError } from '../../errors.ts';
import { parseMatcher, type LabelMatcher } from '../alerts/label-matcher.ts';
import { printable } from '../../untrusted-text.ts';
import { parseBoundedYaml, type YamlLimits } from '../yaml-limits.ts';
import type { ConfiguredAlertRule, CoreChain, PolicyIssue, PolicySet, SuppressionPolicy } from './policy-types.ts';

const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** Bounds of a policy file (README "Configuration"); list lengths are bounded by `maxItems` in the JSON Schema. */
export const POLICY_FILE_LIMITS: YamlLimits = { maxBytes: 64 * 1024, maxDepth: 16, maxNodes: 50_000, maxIndent: 200 };

export type Path = (string | number)[];

/** Parses `5m`, `30s`, `1h`, `250ms` into milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new FmeaflowError(ErrorCodes.POLICY_INVALID, `not a duration: ${JSON.stringify(text)} (use e.g. 250ms, 30s, 5m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

export function fieldName(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(root)';
}

export function pointerToPath(ptr: string): Path {
  if (!ptr) return [];
  return ptr.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~')).map((t) => (/^[0-9]+$/.test(t) ? Number(t) : t));
}

/** Source position of the node at `path` (or of its key when `key` is set); falls back to the nearest existing parent. */
export function locate(doc: Document, lc: LineCounter, path: Path, key?: string): { line: number; column: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const target = n === path.length && key !== undefined && isMap(node)
      ? (node.items.find((it) => (it.key as { value?: unknown } | null)?.value === key)?.key as { range?: [number, number, number] } | undefined) ?? node
      : n === 0 ? doc.contents as { range?: [number, number, number] } | null ?? undefined : node;
    if (target?.range) {
      const pos = lc.linePos(target.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return { line: 1, column: 1 };
}

export function schemaIssue(doc: Document, lc: LineCounter, file: string, e: ErrorObject): PolicyIssue {
  const path = pointerToPath(e.instancePath);
  let field = fieldName(path);
  let message = `${e.message ?? e.keyword}`;
  let key: string | undefined;
  if (e.keyword === 'additionalProperty' || e.keyword === 'additionalProperties') {
    key = String((e.params as { additionalProperty: string }).additionalProperty);
    field = fieldName([...path, key]);
    message = `unknown field "${key}"`;
  } else if (e.keyword === 'required') {
    const missing = String((e.params as { missingProperty: string }).missingProperty);
    field = fieldName([...path, missing]);
    message = `missing required field "${missing}"`;
  } else if (e.keyword === 'enum' || e.keyword === 'const') {
    const allowed = (e.params as { allowedValues?: unknown[]; allowedValue?: unknown }).allowedValues ?? [(e.params as { allowedValue?: unknown }).allowedValue];
    message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (e.keyword === 'oneOf') {
    message = 'needs exactly one of suppressFor (a duration) or suppressUntil: release-end';
  }
  const pos = locate(doc, lc, path, key);
  return { file, line: pos.line, column: pos.column, field, message };
}

/** One issue as `file:line:column (field): message`, the format editors and CI annotate. */
export function formatPolicyIssue(i: PolicyIssue): string {
  return `${i.file}:${i.line}:${i.column} (${i.field}): ${i.message}`;
}

/** All problems of a policy file (empty when valid). */
export function lintPolicyFile(text: string, file: string): PolicyIssue[] {
  return readPolicyFile(text, file).issues;
}

// Total, like the worksheet parser: a problem nobody foresaw is still one located issue, never a raw exception.
function readPolicyFile(text: string, file: string): { issues: PolicyIssue[]; set: PolicySet | null } {
  let r: { issues: PolicyIssue[]; set: PolicySet | null };
  try {
    r = readPolicyText(text, file);
  } catch (err) {
    r = { set: null, issues: [{ file, line: 1, column: 1, field: '(root)', message: `policy file could not be read: ${err instanceof Error ? err.message : String(err)}` }] };
  }
  return { set: r.set, issues: r.issues.map((i) => ({ ...i, field: printable(i.field, 120), message: printable(i.message, 300) })) };
}

function readPolicyText(text: string, file: string): { issues: PolicyIssue[]; set: PolicySet | null } {
  const { doc, lineCounter: lc, problems } = parseBoundedYaml(text, POLICY_FILE_LIMITS);
  if (!doc) return { set: null, issues: problems.map((p) => ({ file, line: Math.max(1, lc.linePos(p.offset).line), column: Math.max(1, lc.linePos(p.offset).col), field: '(root)', message: p.message })) };
  if (problems.length > 0) {
    return {
      set: null,
      issues: problems.map((p) => {
        const pos = lc.linePos(p.offset);
        return { file, line: pos.line, column: pos.col, field: '(yaml)', message: p.message };
      }),
    };
  }
  if (doc.errors.length > 0) {
    return {
      set: null,
      issues: doc.errors.slice(0, 20).map((e) => {
        const pos = lc.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '(yaml)', message: e.message.split('\n')[0]! };
      }),
    };
  }
  const data = doc.toJS() as unknown;
  if (!validate(data)) {
    // `oneOf` also reports the branch-internal `required` errors; keep the clearer oneOf one.
    const errs = (validate.errors ?? []).filter((e) => !(e.keyword === 'required' && /suppress(For|Until)/.test(String((e.params as { missingProperty?: string }).missingProperty))));
    const issues = errs.map((e) => schemaIssue(doc, lc, file, e));
    const seen = new Set<string>();
    return { set: null, issues: issues.filter((i) => (seen.has(`${i.line}|${i.field}|${i.message}`) ? false : (seen.add(`${i.line}|${i.field}|${i.message}`), true))) };
  }
  const raw = data as {
    services?: string[];
    alertRules?: { name: string; match: string[]; for?: string; keepFiringFor?: string; severity?: ConfiguredAlertRule['severity'] }[];
    coreChains?: { name: string; matchers: string[] }[];
    policies: { name: string; description?: string; match: string[]; whileRelease: { phases?: ('START' | 'RAMP')[]; maxTrafficPercent?: number }; driftOnly?: boolean; nonCoreOnly?: boolean; suppressFor?: string; suppressUntil?: 'release-end' }[];
  };
  const issues: PolicyIssue[] = [];
  const matchers = (list: string[], path: Path): LabelMatcher[] =>
    list.flatMap((t, i) => {
      try {
        return [parseMatcher(t)];
      } catch (e) {
        const pos = locate(doc, lc, [...path, i]);
        issues.push({ file, line: pos.line, column: pos.column, field: fieldName([...path, i]), message: (e as Error).message });
        return [];
      }
    });
  const coreChains: CoreChain[] = (raw.coreChains ?? []).map((c, i) => ({ name: c.name, matchers: matchers(c.matchers, ['coreChains', i, 'matchers']) }));
  const names = new Map<string, number>();
  const policies: SuppressionPolicy[] = raw.policies.map((p, i) => {
    if (names.has(p.name)) {
      const pos = locate(doc, lc, ['policies', i, 'name']);
      issues.push({ file, line: pos.line, column: pos.column, field: fieldName(['policies', i, 'name']), message: `duplicate policy name "${p.name}" (first at policies[${names.get(p.name)}])` });
    } else names.set(p.name, i);
    return {
      name: p.name,
      description: p.description ?? '',
      match: matchers(p.match, ['policies', i, 'match']),
      phases: p.whileRelease.phases ?? ['START', 'RAMP'],
      maxTrafficPercent: p.whileRelease.maxTrafficPercent ?? null,
      driftOnly: p.driftOnly ?? true,
      nonCoreOnly: p.nonCoreOnly ?? false,
      duration: p.suppressFor !== undefined ? { kind: 'for', ms: parseDurationMs(p.suppressFor) } : { kind: 'until-release-end' },
    };
  });
  const ruleNames = new Map<string, number>();
  const alertRules: ConfiguredAlertRule[] | null = raw.alertRules
    ? raw.alertRules.map((r, i) => {
      if (ruleNames.has(r.name)) {
        const pos = locate(doc, lc, ['alertRules', i, 'name']);
        issues.push({ file, line: pos.line, column: pos.column, field: fieldName(['alertRules', i, 'name']), message: `duplicate alert rule name "${r.name}" (first at alertRules[${ruleNames.get(r.name)}])` });
      } else ruleNames.set(r.name, i);
      return { name: r.name, match: matchers(r.match, ['alertRules', i, 'match']), forMs: parseDurationMs(r.for ?? '1m'), keepFiringForMs: parseDurationMs(r.keepFiringFor ?? '2m'), severity: r.severity ?? 'warning' };
    })
    : null;
  return { issues, set: issues.length ? null : { file, coreChains, policies, services: raw.services ?? null, alertRules } };
}

/** Parses and validates a policy file; throws SourceLocationError(POLICY_INVALID) naming the first problem's file, line and field. */
export function parsePolicyFile(text: string, file: string): PolicySet {
  const { issues, set } = readPolicyFile(text, file);
  if (!set) {
    const first = issues[0]!;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1).map((i) => `${i.line}:${i.field}`).join(', ')})` : '';
    throw new SourceLocationError(ErrorCodes.POLICY_INVALID, `${first.message}${more}`, { file: first.file, line: first.line, column: first.column, field: first.field });
  }
  return set;
}
