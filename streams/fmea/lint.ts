/** `rules lint`: every problem of a set of rule files, located by file:line:column and field. */
import { compileRuleFiles } from '../processors/fmea/rule-set.ts';
import type { RuleIssue } from '../processors/fmea/rule-issue.ts';
import type { RuleFileText } from '../processors/fmea/rule-set.ts';
import { loadKnownSeries, readRuleFiles } from './rule-files.ts';

export interface LintResult {
  readonly files: string[];
  readonly issues: RuleIssue[];
  readonly entries: number;
  readonly errors: number;
  readonly warnings: number;
}

/** Lints rule files/folders together (cross-file duplicate ids included). */
export function lintRuleFiles(paths: readonly string[], opts: { knownSeriesFile?: string } = {}): LintResult {
  return lintRuleTexts(readRuleFiles(paths), opts);
}

/** Lints rule files already read (what `rules publish` then sends). */
export function lintRuleTexts(files: readonly RuleFileText[], opts: { knownSeriesFile?: string } = {}): LintResult {
  const knownSeries = loadKnownSeries(opts.knownSeriesFile);
  const r = compileRuleFiles(files, knownSeries ? { knownSeries } : {});
  const issues = [...r.issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return {
    files: files.map((f) => f.file), issues, entries: r.ruleSet?.entries.length ?? 0,
    errors: issues.filter((i) => i.severity === 'error').length, warnings: issues.filter((i) => i.severity === 'warning').length,
  };
}
