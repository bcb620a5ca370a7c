/** Rule files → `fmea.rules.v1` records (what `rules publish` sends and `rules test` loads as the global table). */
import { createHash } from 'node:crypto';
import type { RuleSetRecord } from '../processors/fmea/active-rules.ts';
import type { RuleFileText } from '../processors/fmea/rule-set.ts';
import { worksheetIdOf } from './rule-files.ts';

/** One record per file, keyed by worksheet id. */
export function toRuleSetRecords(files: readonly RuleFileText[], publishedAtMs: number, publishedBy: string | null): RuleSetRecord[] {
  return files.map((f) => ({
    worksheet: worksheetIdOf(f), sourceFile: f.file, yaml: f.text, sha256: createHash('sha256').update(f.text).digest('hex'), publishedAtMs, publishedBy,
  }));
}
