/**
 * Loghub-2k loading and the grouping-accuracy (GA) metric as the log-parsing papers
 * compute it (see ../shared/data/README.md): rows with an empty ground-truth EventId are
 * dropped; a predicted group is correct only if it holds exactly the full message set of
 * one ground-truth template; GA = messages in correct groups / all messages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvObjects } from './logs-csv.ts';

/** The 8 datasets under ../shared/data/loghub-2k. */
export const LOGHUB_DATASETS = ['HDFS', 'Hadoop', 'Spark', 'BGL', 'HealthApp', 'Linux', 'Apache', 'OpenSSH'] as const;

/** One labelled dataset: contents in file order and their ground-truth event ids. */
export interface LabelledLines {
  readonly name: string;
  readonly contents: string[];
  readonly eventIds: string[];
}

/** Default location of the data relative to the project root. */
export const LOGHUB_DIR = join(process.cwd(), '..', 'shared', 'data', 'loghub-2k');

/** Loads `<DS>_2k.log_structured_corrected.csv`, dropping rows without a ground-truth id. */
export function loadLoghub(name: string, dir = LOGHUB_DIR): LabelledLines {
  const rows = parseCsvObjects(readFileSync(join(dir, name, `${name}_2k.log_structured_corrected.csv`), 'utf8'));
  const kept = rows.filter((r) => (r['EventId'] ?? '').trim() !== '');
  return { name, contents: kept.map((r) => r['Content'] ?? ''), eventIds: kept.map((r) => r['EventId']!) };
}

/** Grouping accuracy of `predicted` group labels against `truth` ids (same length, same order). */
export function groupingAccuracy(predicted: readonly string[], truth: readonly string[]): number {
  if (predicted.length !== truth.length) throw new Error(`length mismatch ${predicted.length} vs ${truth.length}`);
  if (truth.length === 0) return 0;
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  const groups = new Map<string, { size: number; truths: Set<string> }>();
  predicted.forEach((p, i) => {
    const g = groups.get(p) ?? { size: 0, truths: new Set<string>() };
    g.size++;
    g.truths.add(truth[i]!);
    groups.set(p, g);
  });
  let correct = 0;
  for (const g of groups.values()) {
    if (g.truths.size !== 1) continue;
    const [t] = [...g.truths];
    if (truthSize.get(t!) === g.size) correct += g.size;
  }
  return correct / truth.length;
}
