/**
 * Grouping accuracy of the log pipeline on Loghub-2k-layout datasets with ONE configuration for all of them:
 * (1) template mining alone (masking + miner), and (2) templates grouped into clusters (sliding TF-IDF →
 * 128-d projection → DBSCAN), optionally with the LSTM autoencoder code (--lstm). Content column only, file order.
 *
 * Per dataset: GA, FGA (F1 of grouping), PA (message-level template text) and FTA (F1 of template text). Then a
 * leave-one-dataset-out score: each dataset is scored with the miner setting (from a small fixed grid) that has the
 * best mean GA on the other datasets — the figure that says how the parser does on a system nobody tuned it for — and
 * the harder half split: the setting chosen on half the datasets, scored on the other half, for every halving.
 *
 * Data: `--dir` (default ../shared/data/loghub-2k, relative to the project root) in the Loghub-2k layout
 * `<DS>/<DS>_2k.log_structured_corrected.csv`; the bench stops with one line if a file is missing.
 *
 *   npx tsx bench/logs-grouping-accuracy.ts [--dir DIR] [--datasets A,B,…] [--eps 0.12] [--lstm] [--no-loo] [--miner JSON] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LOGHUB_DATASETS, LOGHUB_DIR, groupingAccuracy, groupingF1, loadLoghub, requireLoghub, templateAccuracy, type LabelledLines } from './logs-loghub.ts';
import { DEFAULT_MASKING, maskLine } from '../streams/processors/logs/masking.ts';
import { DEFAULT_MINER_OPTIONS, TemplateMiner, type TemplateMinerOptions } from '../streams/processors/logs/template-miner.ts';
import { SlidingTfidf } from '../streams/processors/logs/sliding-tfidf.ts';
import { TemplateVectorizer } from '../streams/processors/logs/template-vectorizer.ts';
import { DEFAULT_CLUSTERING, groupVectors, type ClusteringOptions } from '../streams/processors/logs/template-clustering.ts';
import { LstmCodeEncoder } from '../streams/processors/logs/embedding-model.ts';
import { trainLstmWeights } from '../streams/runtime/logs/lstm-training.ts';
import { describeBackend } from '../streams/runtime/logs/tf-backend.ts';
import { DEFAULT_TRAINER_OPTIONS } from '../streams/runtime/logs/embedding-trainer.ts';

/** Scores of one dataset. */
export interface GaRow {
  readonly dataset: string;
  readonly lines: number;
  readonly groundTruthTemplates: number;
  readonly templates: number;
  readonly gaMining: number;
  readonly fga: number;
  readonly pa: number;
  readonly fta: number;
  readonly clusters: number;
  readonly gaClustered: number;
  readonly fgaClustered: number;
}

/**
 * The miner settings the out-of-sample steps choose from (the default is one of them): similarity × split (off, or
 * templates with at most 3, 5 or 8 constant tokens split a wildcard that took ≤ 3 recurring words).
 */
export const MINER_GRID: readonly Partial<TemplateMinerOptions>[] = [0.4, 0.5, 0.6].flatMap((similarityThreshold) => [
  { similarityThreshold, splitMaxValues: 0 },
  ...[3, 5, 8].map((splitMaxConstants) => ({ similarityThreshold, splitMaxValues: 3, splitMaxConstants })),
]);

/** Mines `d` and returns, per line, the id of the template it belongs to at the end of the stream and that template's text. */
export function mineDataset(d: LabelledLines, options: Partial<TemplateMinerOptions> = {}): { labels: string[]; texts: string[]; miner: TemplateMiner } {
  const miner = new TemplateMiner(options);
  const masked = d.contents.map((line) => maskLine(line, DEFAULT_MASKING));
  const ids = masked.map((tokens) => miner.add(tokens, 0).templateId);
  // A merged template's id resolves to the survivor; a line of a template that was later split goes to the part it matches now.
  const splitFrom = new Set(miner.templates().flatMap((t) => (t.origin === undefined ? [] : [t.origin])));
  const live = ids.map((id, i) => {
    const now = miner.resolve(id);
    return now === undefined || splitFrom.has(now) ? (miner.match(masked[i]!) ?? now ?? id) : now;
  });
  const text = new Map<number, string>();
  const texts = live.map((id) => {
    let t = text.get(id);
    if (t === undefined) text.set(id, (t = miner.get(id)!.tokens.join(' ')));
    return t;
  });
  return { labels: live.map(String), texts, miner };
}

/** Runs mining and clustering over one dataset's contents. */
export async function evaluateDataset(d: LabelledLines, clustering: ClusteringOptions, lstm: boolean, options: Partial<TemplateMinerOptions> = {}): Promise<GaRow> {
  const { labels, texts, miner } = mineDataset(d, options);
  const gaMining = groupingAccuracy(labels, d.eventIds);
  const fga = groupingF1(labels, d.eventIds);
  const { pa, fta } = templateAccuracy(labels, texts, d.eventIds, d.eventTemplates);

  const templates = miner.templates().sort((a, b) => a.id - b.id);
  const tfidf = new SlidingTfidf({ windowSize: Math.max(500, templates.length) });
  for (const t of templates) tfidf.observe(t.id, t.tokens);
  let codes: number[][] | undefined;
  if (lstm) {
    // The worker's own bounds (DEFAULT_TRAINER_OPTIONS): at most 200 templates sampled, 2 epochs, early stop.
    const t0 = performance.now();
    const weights = await trainLstmWeights(templates.map((t) => t.tokens), { ...DEFAULT_TRAINER_OPTIONS.training, maxTemplates: DEFAULT_TRAINER_OPTIONS.maxTemplates });
    console.error(`${d.name}: ${describeBackend(weights.backend)}; trained on ${weights.trainedOnTemplates} of ${templates.length} templates, ${weights.epochsRun} epochs, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The processor's own forward pass over the trained weights, as in production.
    codes = new LstmCodeEncoder({ ...weights, version: 1, partition: 0 }).encode(templates.map((t) => t.tokens));
  }
  const vectorizer = new TemplateVectorizer();
  const vectors = templates.map((t, i) => vectorizer.vector(tfidf.weights(t.tokens), codes?.[i]));
  const groups = groupVectors(vectors, clustering);
  const clusterOf = new Map<number, number>();
  groups.forEach((g, gi) => g.forEach((i) => clusterOf.set(templates[i]!.id, gi)));
  const clustered = labels.map((id) => String(clusterOf.get(Number(id))));
  return {
    dataset: d.name,
    lines: d.contents.length,
    groundTruthTemplates: new Set(d.eventIds).size,
    templates: templates.length,
    gaMining,
    fga,
    pa,
    fta,
    clusters: groups.length,
    gaClustered: groupingAccuracy(clustered, d.eventIds),
    fgaClustered: groupingF1(clustered, d.eventIds),
  };
}

/** GA and FGA of every dataset under every grid setting: [dataset][setting]. */
export function gridScores(data: readonly LabelledLines[], grid = MINER_GRID): { ga: number; fga: number }[][] {
  return data.map((d) => grid.map((o) => {
    const { labels } = mineDataset(d, o);
    return { ga: groupingAccuracy(labels, d.eventIds), fga: groupingF1(labels, d.eventIds) };
  }));
}

/** The grid setting with the best mean GA over the datasets `on` (ties keep the earlier setting, so the choice never depends on the others). */
export function chooseSetting(scores: readonly { ga: number }[][], on: readonly number[]): number {
  let best = 0;
  let bestSum = -1;
  for (let gi = 0; gi < scores[0]!.length; gi++) {
    let sum = 0;
    for (const di of on) sum += scores[di]![gi]!.ga;
    if (sum > bestSum + 1e-12) { bestSum = sum; best = gi; }
  }
  return best;
}

/** Leave-one-dataset-out: each dataset scored with the grid setting of best mean GA on all the others. */
export function leaveOneOut(data: readonly LabelledLines[], grid = MINER_GRID, scores = gridScores(data, grid)): { dataset: string; chosen: Partial<TemplateMinerOptions>; ga: number; fga: number }[] {
  return data.map((d, held) => {
    const best = chooseSetting(scores, data.map((_, i) => i).filter((i) => i !== held));
    return { dataset: d.name, chosen: grid[best]!, ga: scores[held]![best]!.ga, fga: scores[held]![best]!.fga };
  });
}

/** One half-split: the setting chosen on `chosenOn`, scored (mean GA, FGA) on `scoredOn`. */
export interface HalfSplit {
  readonly chosenOn: readonly string[];
  readonly scoredOn: readonly string[];
  readonly chosen: Partial<TemplateMinerOptions>;
  readonly ga: number;
  readonly fga: number;
}

/**
 * The harder split: choose on half the datasets, score on the other half — for every way of halving them (each half in
 * turn chooses), so no particular split is picked after seeing the figures.
 */
export function halfSplits(data: readonly LabelledLines[], grid = MINER_GRID, scores = gridScores(data, grid)): HalfSplit[] {
  const n = data.length;
  const k = Math.floor(n / 2);
  const out: HalfSplit[] = [];
  for (let mask = 0; mask < 1 << n; mask++) {
    let bits = 0;
    for (let i = 0; i < n; i++) if (mask & (1 << i)) bits++;
    if (bits !== k) continue;
    const on = data.map((_, i) => i).filter((i) => mask & (1 << i));
    const off = data.map((_, i) => i).filter((i) => !(mask & (1 << i)));
    const best = chooseSetting(scores, on);
    const mean = (f: (x: { ga: number; fga: number }) => number) => off.reduce((s, i) => s + f(scores[i]![best]!), 0) / off.length;
    out.push({ chosenOn: on.map((i) => data[i]!.name), scoredOn: off.map((i) => data[i]!.name), chosen: grid[best]!, ga: mean((x) => x.ga), fga: mean((x) => x.fga) });
  }
  return out;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
  const eps = arg('--eps') !== undefined ? Number(arg('--eps')) : DEFAULT_CLUSTERING.method === 'dbscan' ? DEFAULT_CLUSTERING.epsilon : 0.12;
  const lstm = args.includes('--lstm');
  const dir = arg('--dir') ?? LOGHUB_DIR;
  const names = arg('--datasets')?.split(',').map((s) => s.trim()).filter((s) => s.length > 0) ?? [...LOGHUB_DATASETS];
  requireLoghub(names, dir);
  const clustering: ClusteringOptions = { method: 'dbscan', epsilon: eps, minPoints: 1 };
  const data = names.map((n) => loadLoghub(n, dir));
  const rows: GaRow[] = [];
  // `--miner '{"maxLengthVariants":0}'` scores the per-dataset table with one option changed (an ablation; never the out-of-sample steps).
  const minerOverride = arg('--miner') === undefined ? {} : (JSON.parse(arg('--miner')!) as Partial<TemplateMinerOptions>);
  for (const d of data) rows.push(await evaluateDataset(d, clustering, lstm, minerOverride));
  const mean = <T>(xs: readonly T[], f: (r: T) => number) => xs.reduce((s, r) => s + f(r), 0) / Math.max(1, xs.length);
  const scores = args.includes('--no-loo') || data.length < 2 ? undefined : gridScores(data);
  const loo = scores === undefined ? undefined : leaveOneOut(data, MINER_GRID, scores);
  const halves = scores === undefined || data.length < 4 ? undefined : halfSplits(data, MINER_GRID, scores);
  if (halves !== undefined) {
    const names4 = data.map((d) => d.name);
    const first = names4.slice(0, Math.floor(names4.length / 2)).join(',');
    const fixed = halves.filter((h) => h.chosenOn.join(',') === first || h.scoredOn.join(',') === first);
    const m = (xs: readonly HalfSplit[], f: (h: HalfSplit) => number) => xs.reduce((a, h) => a + f(h), 0) / xs.length;
    const worst = halves.reduce((a, h) => (h.ga < a.ga ? h : a));
    console.log(`Half splits (setting chosen by mean GA on ${Math.floor(data.length / 2)} datasets, scored on the others):`);
    console.log('| chosen on | scored on | chosen setting | GA | FGA |');
    console.log('|---|---|---|---:|---:|');
    for (const h of fixed) console.log(`| ${h.chosenOn.join(', ')} | ${h.scoredOn.join(', ')} | ${JSON.stringify(h.chosen)} | ${h.ga.toFixed(3)} | ${h.fga.toFixed(3)} |`);
    console.log(`| every one of the ${halves.length} halvings, mean | | | **${m(halves, (h) => h.ga).toFixed(3)}** | **${m(halves, (h) => h.fga).toFixed(3)}** |`);
    console.log(`| worst halving (by GA): ${worst.chosenOn.join(', ')} | ${worst.scoredOn.join(', ')} | ${JSON.stringify(worst.chosen)} | ${worst.ga.toFixed(3)} | ${worst.fga.toFixed(3)} |`);
    console.log('');
  }
  if (loo !== undefined) {
    console.log(`Leave-one-dataset-out (setting chosen by mean GA on the other ${data.length - 1} from ${MINER_GRID.map((o) => JSON.stringify(o)).join(' ')}):`);
    console.log('| dataset | chosen setting | GA | FGA |');
    console.log('|---|---|---:|---:|');
    for (const r of loo) console.log(`| ${r.dataset} | ${JSON.stringify(r.chosen)} | ${r.ga.toFixed(3)} | ${r.fga.toFixed(3)} |`);
    console.log(`| **mean** | | **${mean(loo, (r) => r.ga).toFixed(3)}** | **${mean(loo, (r) => r.fga).toFixed(3)}** |`);
    console.log('');
  }
  const { similarityThreshold, prefixTokens, splitMaxValues, splitMaxConstants, maxLengthVariants } = DEFAULT_MINER_OPTIONS;
  console.log(`Default configuration (${JSON.stringify({ similarityThreshold, prefixTokens, splitMaxValues, splitMaxConstants, maxLengthVariants, ...minerOverride })}):`);
  console.log(`| dataset | lines | GT templates | mined templates | GA mining | FGA | PA | FTA | clusters (eps=${eps}${lstm ? ', +LSTM' : ''}) | GA clustered | FGA clustered |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.dataset} | ${r.lines} | ${r.groundTruthTemplates} | ${r.templates} | ${r.gaMining.toFixed(3)} | ${r.fga.toFixed(3)} | ${r.pa.toFixed(3)} | ${r.fta.toFixed(3)} | ${r.clusters} | ${r.gaClustered.toFixed(3)} | ${r.fgaClustered.toFixed(3)} |`);
  }
  const f = (g: (r: GaRow) => number) => `**${mean(rows, g).toFixed(3)}**`;
  console.log(`| **mean** | | | | ${f((r) => r.gaMining)} | ${f((r) => r.fga)} | ${f((r) => r.pa)} | ${f((r) => r.fta)} | | ${f((r) => r.gaClustered)} | ${f((r) => r.fgaClustered)} |`);
  const json = arg('--json');
  if (json !== undefined) {
    writeFileSync(json, JSON.stringify({
      eps, lstm, rows,
      meanGa: mean(rows, (r) => r.gaMining), meanFga: mean(rows, (r) => r.fga), meanGaClustered: mean(rows, (r) => r.gaClustered),
      ...(loo === undefined ? {} : { leaveOneOut: { rows: loo, meanGa: mean(loo, (r) => r.ga), meanFga: mean(loo, (r) => r.fga) } }),
      ...(halves === undefined ? {} : { halfSplits: { splits: halves, meanGa: mean(halves, (h) => h.ga), meanFga: mean(halves, (h) => h.fga), minGa: Math.min(...halves.map((h) => h.ga)) } }),
    }, null, 2));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
