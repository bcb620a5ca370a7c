/**
 * Grouping accuracy (GA) of the log pipeline on the 8 Loghub-2k datasets with ONE
 * configuration for all of them: (1) template mining alone (Drain tree + masking), and
 * (2) templates grouped into clusters (sliding TF-IDF → 128-d projection → DBSCAN),
 * optionally with the LSTM autoencoder code (--lstm). Content column only, file order.
 *
 *   npx tsx bench/logs-grouping-accuracy.ts [--eps 0.12] [--lstm] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { LOGHUB_DATASETS, groupingAccuracy, loadLoghub } from './logs-loghub.ts';
import { DEFAULT_MASKING, maskLine } from '../streams/processors/logs/masking.ts';
import { TemplateMiner } from '../streams/processors/logs/template-miner.ts';
import { SlidingTfidf } from '../streams/processors/logs/sliding-tfidf.ts';
import { TemplateVectorizer } from '../streams/processors/logs/template-vectorizer.ts';
import { DEFAULT_CLUSTERING, groupVectors, type ClusteringOptions } from '../streams/processors/logs/template-clustering.ts';
import { LstmCodeEncoder } from '../streams/processors/logs/embedding-model.ts';
import { trainLstmWeights } from '../streams/runtime/logs/lstm-training.ts';
import { describeBackend } from '../streams/runtime/logs/tf-backend.ts';

/** GA of one dataset for mining alone and mining + clustering. */
export interface GaRow {
  readonly dataset: string;
  readonly lines: number;
  readonly groundTruthTemplates: number;
  readonly templates: number;
  readonly gaMining: number;
  readonly clusters: number;
  readonly gaClustered: number;
}

/** Runs mining and clustering over one dataset's contents. */
export async function evaluateDataset(name: string, clustering: ClusteringOptions, lstm: boolean): Promise<GaRow> {
  const d = loadLoghub(name);
  const miner = new TemplateMiner();
  const ids = d.contents.map((line) => miner.add(maskLine(line, DEFAULT_MASKING), 0).templateId);
  const live = ids.map((id) => miner.resolve(id)!);
  const gaMining = groupingAccuracy(live.map(String), d.eventIds);

  const templates = miner.templates().sort((a, b) => a.id - b.id);
  const tfidf = new SlidingTfidf({ windowSize: Math.max(500, templates.length) });
  for (const t of templates) tfidf.observe(t.id, t.tokens);
  let codes: number[][] | undefined;
  if (lstm) {
    const weights = await trainLstmWeights(templates.map((t) => t.tokens), { epochs: 4 });
    console.error(describeBackend(weights.backend));
    // The processor's own forward pass over the trained weights, as in production.
    codes = new LstmCodeEncoder({ ...weights, version: 1, partition: 0 }).encode(templates.map((t) => t.tokens));
  }
  const vectorizer = new TemplateVectorizer();
  const vectors = templates.map((t, i) => vectorizer.vector(tfidf.weights(t.tokens), codes?.[i]));
  const groups = groupVectors(vectors, clustering);
  const clusterOf = new Map<number, number>();
  groups.forEach((g, gi) => g.forEach((i) => clusterOf.set(templates[i]!.id, gi)));
  const gaClustered = groupingAccuracy(live.map((id) => String(clusterOf.get(id))), d.eventIds);
  return {
    dataset: name,
    lines: d.contents.length,
    groundTruthTemplates: new Set(d.eventIds).size,
    templates: templates.length,
    gaMining,
    clusters: groups.length,
    gaClustered,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const epsArg = args.indexOf('--eps');
  const eps = epsArg >= 0 ? Number(args[epsArg + 1]) : DEFAULT_CLUSTERING.method === 'dbscan' ? DEFAULT_CLUSTERING.epsilon : 0.12;
  const lstm = args.includes('--lstm');
  const jsonArg = args.indexOf('--json');
  const clustering: ClusteringOptions = { method: 'dbscan', epsilon: eps, minPoints: 1 };
  const rows: GaRow[] = [];
  for (const ds of LOGHUB_DATASETS) rows.push(await evaluateDataset(ds, clustering, lstm));
  const mean = (f: (r: GaRow) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
  console.log(`| dataset | lines | GT templates | mined templates | GA mining | clusters (eps=${eps}${lstm ? ', +LSTM' : ''}) | GA clustered |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.dataset} | ${r.lines} | ${r.groundTruthTemplates} | ${r.templates} | ${r.gaMining.toFixed(3)} | ${r.clusters} | ${r.gaClustered.toFixed(3)} |`);
  console.log(`| **mean** | | | | **${mean((r) => r.gaMining).toFixed(3)}** | | **${mean((r) => r.gaClustered).toFixed(3)}** |`);
  if (jsonArg >= 0) writeFileSync(args[jsonArg + 1]!, JSON.stringify({ eps, lstm, rows }, null, 2));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
