/**
 * Bad-input bookkeeping shared by the file sources: a bad line is reported with its file,
 * line and (for JSONL) field, counted, and skipped; the rest of the file goes on. Reasons
 * and fields quote untrusted input, so they are kept bounded and printable.
 */
import { printable } from '../../streams/untrusted-text.ts';

/** Longest reason kept, in characters (a reason quotes at most a few bounded tokens). */
const MAX_REASON_CHARS = 400;

/** One input line that could not be used. */
export interface SourceIssue {
  file: string;
  line: number;
  field?: string;
  reason: string;
}

/** Collects issues; keeps the first `keep` in full and counts all. */
export class IssueLog {
  readonly issues: SourceIssue[] = [];
  count = 0;
  constructor(private readonly keep = 1000) {}

  /** Records one bad line. */
  add(issue: SourceIssue): void {
    this.count++;
    if (this.issues.length >= this.keep) return;
    const { file, line, field, reason } = issue;
    this.issues.push({ file, line, ...(field !== undefined ? { field: printable(field) } : {}), reason: printable(reason, MAX_REASON_CHARS) });
  }

  /** Human-readable `file:line (field): reason` lines, for CLI output. */
  format(max = 20): string[] {
    const out = this.issues.slice(0, max).map((i) => `${i.file}:${i.line}${i.field ? ` (${i.field})` : ''}: ${i.reason}`);
    if (this.count > out.length) out.push(`… and ${this.count - out.length} more`);
    return out;
  }
}
