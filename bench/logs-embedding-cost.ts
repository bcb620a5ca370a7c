/**
 * Cost of the learned log-template encoder with the trainer's defaults: one training (tfjs,
 * in the calling thread here, as the worker thread runs it) on the mined templates of the
 * Loghub-2k datasets, and the processor-side plain-JS forward pass per template.
 *
 *   npx tsx bench/logs-embedding-cost.ts [--templates 200]
 */
import { performance } from 'node:perf_hooks';
import { LOGHUB_DATASETS, loadLoghub } from './logs-loghub.ts';
import { DEFAULT_MASKING, maskLine } from '../streams/processors/logs/masking.ts';
import { TemplateMiner } from '../streams/processors/logs/template-miner.ts';
import { LstmCodeEncoder } from '../streams/processors/logs/embedding-model.ts';
import { DEFAULT_LSTM_OPTIONS, trainLstmWeights } from '../streams/runtime/logs/lstm-training.ts';
import { describeBackend } from '../streams/runtime/logs/tf-backend.ts';

const arg = process.argv.indexOf('--templates');
const want = arg >= 0 ? Number(process.argv[arg + 1]) : 200;
const templates: string[][] = [];
for (const ds of LOGHUB_DATASETS) {
  const m = new TemplateMiner();
  for (const l of loadLoghub(ds).contents) m.add(maskLine(l, DEFAULT_MASKING), 0);
  templates.push(...m.templates().map((t) => [...t.tokens]));
}
const sample = templates.slice(0, want);
const t0 = performance.now();
const w = await trainLstmWeights(sample);
const trainS = (performance.now() - t0) / 1000;
const enc = new LstmCodeEncoder({ ...w, version: 1, partition: 0 });
const t1 = performance.now();
enc.encode(templates);
const perTemplateMs = (performance.now() - t1) / templates.length;
const bytes = Buffer.byteLength(JSON.stringify(w));
console.log(describeBackend(w.backend));
console.log(`| templates trained | epochs | sequence | training s | forward pass ms/template (${templates.length} templates) | model JSON KiB |`);
console.log('|---:|---:|---:|---:|---:|---:|');
console.log(`| ${sample.length} | ${DEFAULT_LSTM_OPTIONS.epochs} | ${DEFAULT_LSTM_OPTIONS.maxSequenceLength} | ${trainS.toFixed(1)} | ${perTemplateMs.toFixed(3)} | ${(bytes / 1024).toFixed(0)} |`);
