/**
 * The compiled form of an FMEA worksheet: what the evaluation runs. Rule files are parsed
 * and validated into this shape once (worksheet-parser.ts); evaluation never looks at YAML.
 */
import type { ExprNode } from './condition-expr.ts';

export type ScopeKind = 'vehicle' | 'model' | 'fleet';

export interface RecommendedAction {
  readonly id: string;
  readonly description: string;
  readonly ownerRole: string;
  /** design | process | detection | validation | containment */
  readonly kind: string;
}

export interface GroupCondition { readonly type: 'group'; readonly op: 'all' | 'any'; readonly withinMs?: number; readonly children: readonly Condition[] }
export interface LogClusterCondition {
  readonly type: 'logCluster';
  /** Every inner list must have one alternative present (lower-cased substrings). */
  readonly keywords: readonly (readonly string[])[];
  /** Glob patterns (`*`, `?`) of which one must match a template. */
  readonly templates: readonly string[];
  readonly trend?: { readonly kind: 'new' | 'gone' | 'rate'; readonly factor?: number };
}
export interface ExprCondition { readonly type: 'canFeature' | 'canCluster' | 'drift' | 'alert'; readonly text: string; readonly expr: ExprNode; readonly includeSuppressed: boolean }
export interface DtcCondition { readonly type: 'dtc'; readonly codes: readonly string[] }
export interface CanaryCondition { readonly type: 'canary'; readonly metric: string; readonly verdicts: readonly string[]; readonly release?: string }
export type LeafCondition = LogClusterCondition | ExprCondition | DtcCondition | CanaryCondition;
export type Condition = GroupCondition | LeafCondition;

export interface FmeaEntry {
  readonly id: string;
  readonly worksheet: string;
  readonly item: string;
  readonly function: string;
  readonly failureMode: string;
  readonly effect: string;
  readonly cause: string;
  readonly severity: number;
  readonly occurrence: number;
  readonly detection: number;
  readonly preventionControls: readonly string[];
  readonly detectionControls: readonly string[];
  readonly actions: readonly RecommendedAction[];
  readonly scopes: readonly ScopeKind[];
  readonly occurrenceFromField: boolean;
  /** Root condition; its window defaults to the worksheet default. */
  readonly evidence: GroupCondition;
  /** Source line of the entry, for messages. */
  readonly line: number;
}

export interface Worksheet {
  readonly id: string;
  readonly title: string;
  readonly kind: string;
  readonly sourceFile: string;
  readonly entries: readonly FmeaEntry[];
}

/** Evidence kinds a condition tree mentions (evaluation indexes entries by them). */
export function leafKinds(c: Condition, out = new Set<string>()): Set<string> {
  if (c.type === 'group') for (const ch of c.children) leafKinds(ch, out);
  else if (c.type === 'dtc') out.add('canFeature');
  else out.add(c.type);
  return out;
}

/** Largest time window in a tree. */
export function maxWindowMs(c: Condition, fallback: number): number {
  if (c.type !== 'group') return 0;
  return Math.max(c.withinMs ?? fallback, ...c.children.map((ch) => maxWindowMs(ch, fallback)));
}
