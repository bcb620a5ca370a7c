/**
 * Loghub-2k loading and the grouping-accuracy (GA) metric as the log-parsing papers
 * compute it (see ../shared/data/README.md): rows with an empty ground-truth EventId are
 * dropped; a predicted group is correct only if it holds exactly the full message set of
 * one ground-truth template; GA = messages in correct groups / all messages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsvObjects } from './logs-csv.ts';

/** The 8 datasets under ../shared/data/loghub-2k. */
export const LOGHUB_DATASETS = ['HDFS', 'Hadoop', 'Spark', 'BGL', 'HealthApp', 'Linux', 'Apache', 'OpenSSH'] as const;

/** One labelled dataset: contents in file order and their ground-truth event ids. */
export interface LabelledLines {
  readonly name: string;
  readonly contents: string[];
  readonly eventIds: string[];
  /** Ground-truth template text per line (`<*>` for variables). */
  readonly eventTemplates: string[];
}

/** Default location of the data relative to the project root. */
export const LOGHUB_DIR = join(process.cwd(), '..', 'shared', 'data', 'loghub-2k');

/** Loads `<DS>_2k.log_structured_corrected.csv`, dropping rows without a ground-truth id. */
export function loadLoghub(name: string, dir = LOGHUB_DIR): LabelledLines {
  const rows = parseCsvObjects(readFileSync(join(dir, name, `${name}_2k.log_structured_corrected.csv`), 'utf8'));
  const kept = rows.filter((r) => (r['EventId'] ?? '').trim() !== '');
  return { name, contents: kept.map((r) => r['Content'] ?? ''), eventIds: kept.map((r) => r['EventId']!), eventTemplates: kept.map((r) => r['EventTemplate'] ?? '') };
}

/** Fails with one clear line when a dataset file is absent (benchmarks only; the product never reads it). */
export function requireLoghub(names: readonly string[], dir: string): void {
  const missing = names.filter((n) => !existsSync(join(dir, n, `${n}_2k.log_structured_corrected.csv`)));
  if (missing.length > 0) {
    console.error(`Loghub-2k data not found: ${missing.map((n) => join(dir, n, `${n}_2k.log_structured_corrected.csv`)).join(', ')} (pass --dir DIR in the Loghub-2k layout)`);
    process.exit(2);
  }
}

interface Groups {
  readonly truthSize: Map<string, number>;
  /** Predicted group → its size, its ground-truth ids and its first line. */
  readonly groups: Map<string, { size: number; truths: Set<string>; first: number }>;
}

function groupsOf(predicted: readonly string[], truth: readonly string[]): Groups {
  if (predicted.length !== truth.length) throw new Error(`length mismatch ${predicted.length} vs ${truth.length}`);
  const truthSize = new Map<string, number>();
  for (const t of truth) truthSize.set(t, (truthSize.get(t) ?? 0) + 1);
  const groups = new Map<string, { size: number; truths: Set<string>; first: number }>();
  predicted.forEach((p, i) => {
    const g = groups.get(p) ?? { size: 0, truths: new Set<string>(), first: i };
    g.size++;
    g.truths.add(truth[i]!);
    groups.set(p, g);
  });
  return { truthSize, groups };
}

function exact(g: { size: number; truths: Set<string> }, truthSize: Map<string, number>): boolean {
  if (g.truths.size !== 1) return false;
  const [t] = [...g.truths];
  return truthSize.get(t!) === g.size;
}

const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * F1 of grouping (FGA, Jiang et al. 2023): a predicted group is correct when it is exactly one ground-truth
 * template's message set; precision = correct / predicted groups, recall = correct / ground-truth templates.
 * Unlike GA it weighs every template alike, so many small templates broken apart cannot hide behind a few big ones.
 */
export function groupingF1(predicted: readonly string[], truth: readonly string[]): number {
  const { truthSize, groups } = groupsOf(predicted, truth);
  let correct = 0;
  for (const g of groups.values()) if (exact(g, truthSize)) correct++;
  return f1(correct / Math.max(1, groups.size), correct / Math.max(1, truthSize.size));
}

/** Template text as the ground truth writes it: every variable (any mask class) is `<*>`, adjacent ones fold. */
export function normalizeTemplate(text: string): string {
  return text.replace(/<[A-Z*]+>/g, '<*>').replace(/(?:<\*>){2,}/g, '<*>').replace(/\s+/g, ' ').trim();
}

/**
 * Template accuracy (Khan et al. 2022): PA = share of messages whose predicted template text equals the truth's;
 * FTA = F1 over templates, a predicted template counting when its group is exact and its text equals the truth's.
 */
export function templateAccuracy(predicted: readonly string[], predictedTemplates: readonly string[], truth: readonly string[], truthTemplates: readonly string[]): { pa: number; fta: number } {
  let same = 0;
  for (let i = 0; i < truth.length; i++) if (normalizeTemplate(predictedTemplates[i]!) === normalizeTemplate(truthTemplates[i]!)) same++;
  const { truthSize, groups } = groupsOf(predicted, truth);
  let correct = 0;
  for (const g of groups.values()) {
    if (exact(g, truthSize) && normalizeTemplate(predictedTemplates[g.first]!) === normalizeTemplate(truthTemplates[g.first]!)) correct++;
  }
  return { pa: truth.length === 0 ? 0 : same / truth.length, fta: f1(correct / Math.max(1, groups.size), correct / Math.max(1, truthSize.size)) };
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
