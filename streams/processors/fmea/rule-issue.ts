/**
 * A problem found in a rule file, located by file, line, column and field path. Lint prints
 * these; the evaluation refuses a rule set with any error-level issue.
 */
import { ErrorCodes, SourceLocationError } from '../../errors.ts';
import { printable } from '../../untrusted-text.ts';

export interface RuleIssue {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Dotted field path, e.g. entries[2].evidence.all[0].canFeature. */
  readonly field: string;
  readonly message: string;
}

/** `file:line:column: severity (field): message`, the format editors and CI annotate. */
export function formatIssue(i: RuleIssue): string {
  return `${i.file}:${i.line}:${i.column}: ${i.severity} (${i.field || '<root>'}): ${i.message}`;
}

/** The first error-level issue as a typed SourceLocationError. */
export function issueToError(i: RuleIssue): SourceLocationError {
  return new SourceLocationError(ErrorCodes.RULE_INVALID, i.message, { file: i.file, line: i.line, column: i.column, field: i.field });
}

/** Field path segments to the dotted form used in messages. */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/** The issue with its message and field fit for one line (they echo keys and values from the file). */
export function boundedIssue(i: RuleIssue): RuleIssue {
  return { ...i, field: printable(i.field, 120), message: printable(i.message, 300) };
}
