/**
 * Bad-input bookkeeping shared by the file sources: a bad line is reported with its file,
 * line and (for JSONL) field, counted, and skipped; the rest of the file goes on.
 */

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
    if (this.issues.length < this.keep) this.issues.push(issue);
  }

  /** Human-readable `file:line (field): reason` lines, for CLI output. */
  format(max = 20): string[] {
    const out = this.issues.slice(0, max).map((i) => `${i.file}:${i.line}${i.field ? ` (${i.field})` : ''}: ${i.reason}`);
    if (this.count > out.length) out.push(`… and ${this.count - out.length} more`);
    return out;
  }
}
