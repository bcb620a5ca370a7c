/**
 * Drift detectors on the Numenta Anomaly Benchmark (NAB). Reads reference data: by default
 * ../shared/data/nab (40 of NAB's 58 series), or any directory in NAB's layout given with --root
 * (`data/<category>/*.csv` + `combined_windows.json`); it stops with one line when that is absent.
 * Each row is fed as one closed window to the engine's judge (streams/processors/drift/series-judge.ts);
 * every drift ONSET is a detection, scored with NAB v1.1's standard profile (bench/lib/nab.ts).
 *
 * The evaluation cannot be fooled by tuning: the series are split into two halves (alternate series
 * in key order); a grid of the adaptive detector's settings is searched on one half and the chosen
 * setting is reported on the other, and the swap. The final default (DEFAULT_DRIFT_CONFIG) is then
 * scored on every series; `defaultScore` in the JSON is that number. The grid keeps the shift chart
 * at the limit that holds the in-control ARL ≥ 10,000 windows (bench/drift-false-alarms.ts), so
 * NAB cannot buy its score with false alarms on stationary data.
 *
 * Usage: npx tsx bench/drift-nab.ts [--root DIR] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { judgeWindow, type SeriesState } from '../streams/processors/drift/series-judge.ts';
import { DEFAULT_ADAPTIVE_DETECTOR, DEFAULT_DRIFT_CONFIG, driftConfig, FIELD_RULE_DRIFT_CONFIG, type DriftConfig } from '../streams/processors/drift/drift-config.ts';
import type { AdaptiveDetectorConfig } from '../streams/processors/drift/adaptive-detector.ts';
import type { SeriesPoint } from '../streams/processors/series/series-types.ts';
import { loadNab, scoreCorpus, type NabScore, type NabSeries } from './lib/nab.ts';

const { values: args } = parseArgs({ options: { root: { type: 'string' }, json: { type: 'string' } } });
const root = args.root ?? '../shared/data/nab';

/** Drift ONSET rows of one series under a configuration (NAB rows are 5-minute or irregular samples; each is one window). */
function detect(s: NabSeries, cfg: DriftConfig): number[] {
  let st: SeriesState | undefined;
  const out: number[] = [];
  for (let i = 0; i < s.t.length; i++) {
    const end = i + 1 < s.t.length ? Math.max(s.t[i + 1]!, s.t[i]! + 1) : s.t[i]! + 60_000;
    const p: SeriesPoint = { seriesId: s.file, name: 'nab', labels: {}, scope: 'fleet', windowStartMs: s.t[i]!, windowEndMs: end, value: s.v[i]!, sampleCount: 1 };
    const r = judgeWindow(st, p, cfg);
    st = r.state;
    if (r.events.some((e) => e.phase === 'ONSET')) out.push(i);
  }
  return out;
}

const all = loadNab(root);
const halfA = all.filter((_, i) => i % 2 === 0);
const halfB = all.filter((_, i) => i % 2 === 1);
const cache = new Map<string, Map<string, number[]>>();
function score(name: string, cfg: DriftConfig, set: readonly NabSeries[]): NabScore {
  let byFile = cache.get(name);
  if (!byFile) cache.set(name, (byFile = new Map()));
  const m = byFile;
  return scoreCorpus(set, (s) => {
    let d = m.get(s.file);
    if (!d) m.set(s.file, (d = detect(s, cfg)));
    return d;
  });
}
const fmt = (r: NabScore): string => `${r.score.toFixed(1)} | ${(100 * r.recall).toFixed(1)} % | ${(100 * r.precision).toFixed(1)} % | ${r.tp}/${r.windows} | ${r.fp}`;

// The adaptive detector's grid: spike bar, Huber clip, the scale's speed (both values keep the ARL and 1σ delay), recovery.
// The shift chart (λ, L, self-scaling), hold-open, the reference's and level's speeds stay at the default's: they set the in-control ARL and the 1σ shift delay
// (bench/drift-false-alarms.ts; a reference at α 0.01 scores higher here but finds a 1σ shift in a median 18 windows).
const grid: [string, DriftConfig][] = [];
for (const spikeZ of [5, 7]) for (const huber of [2, 3]) for (const scaleAlpha of [0.005, 0.01]) for (const recoveryWindows of [50, 100]) {
  const a: AdaptiveDetectorConfig = { ...DEFAULT_ADAPTIVE_DETECTOR, spikeZ, huber, scaleAlpha, recoveryWindows };
  grid.push([`spike ${spikeZ}σ, Huber ${huber}σ, scale α ${scaleAlpha}, recovery ${recoveryWindows}`, driftConfig({ adaptive: a })]);
}
const best = (set: readonly NabSeries[]): [string, DriftConfig, number] => {
  let b: [string, DriftConfig, number] = ['', DEFAULT_DRIFT_CONFIG, Number.NEGATIVE_INFINITY];
  for (const [name, cfg] of grid) {
    const sc = score(name, cfg, set).score;
    if (sc > b[2]) b = [name, cfg, sc];
  }
  return b;
};

const rows = all.reduce((a, s) => a + s.t.length, 0);
console.log(`NAB (${root}): ${all.length} series, ${rows} rows, ${all.reduce((a, s) => a + s.windows.length, 0)} labelled windows; halves A = series 1, 3, 5, … (${halfA.length}), B = 2, 4, 6, … (${halfB.length}) in key order`);
const nullCheck = scoreCorpus(all, () => []);
const perfectCheck = scoreCorpus(all, (s) => s.windows.map((w) => w[0]));
console.log(`scorer check: null = ${nullCheck.score.toFixed(1)}, perfect = ${perfectCheck.score.toFixed(1)}\n`);

const [nameA, cfgA] = best(halfA);
const [nameB, cfgB] = best(halfB);
const chosenOnA = { setting: nameA, inSample: score(nameA, cfgA, halfA), outOfSample: score(nameA, cfgA, halfB) };
const chosenOnB = { setting: nameB, inSample: score(nameB, cfgB, halfB), outOfSample: score(nameB, cfgB, halfA) };
const [nameAll, , scoreAll] = best(all);
const def = { a: score('default', DEFAULT_DRIFT_CONFIG, halfA), b: score('default', DEFAULT_DRIFT_CONFIG, halfB), all: score('default', DEFAULT_DRIFT_CONFIG, all) };
console.log('Out of sample (grid searched on one half, scored on the other):\n');
console.log('| chosen on | setting | out-of-sample score | recall | precision | TP windows | FP detections | in-sample score |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
console.log(`| A | ${nameA} | ${fmt(chosenOnA.outOfSample)} (on B) | ${chosenOnA.inSample.score.toFixed(1)} |`);
console.log(`| B | ${nameB} | ${fmt(chosenOnB.outOfSample)} (on A) | ${chosenOnB.inSample.score.toFixed(1)} |`);
console.log(`\nBest of the grid on all ${all.length} series (in-sample, as NAB tunes every entrant): ${nameAll} → ${scoreAll.toFixed(1)}`);
console.log('\nThe final default (DEFAULT_DRIFT_CONFIG):\n');
console.log('| series | NAB standard score | recall | precision | TP windows | FP detections |');
console.log('|---|---:|---:|---:|---:|---:|');
console.log(`| half A | ${fmt(def.a)} |\n| half B | ${fmt(def.b)} |\n| all ${all.length} | ${fmt(def.all)} |`);

const references: [string, DriftConfig][] = [
  ['field rule |z|>3 ×2 + EWMA chart (FIELD_RULE_DRIFT_CONFIG, the previous default)', FIELD_RULE_DRIFT_CONFIG],
  ['field rule |z|>3 ×2 alone', driftConfig({ adaptive: null, chart: null })],
  ['adaptive, spike score only', driftConfig({ adaptive: { ...DEFAULT_ADAPTIVE_DETECTOR, shift: null } })],
  ['adaptive, shift chart only', driftConfig({ adaptive: { ...DEFAULT_ADAPTIVE_DETECTOR, spikeZ: 0 } })],
  ['adaptive without the daily profile', driftConfig({ adaptive: { ...DEFAULT_ADAPTIVE_DETECTOR, daily: null } })],
  ['adaptive without the chart self-scaling', driftConfig({ adaptive: { ...DEFAULT_ADAPTIVE_DETECTOR, chartSelfScale: null } })],
];
console.log(`\nOther configurations on all ${all.length} series (not tuned):\n`);
console.log('| configuration | NAB standard score | recall | precision | TP windows | FP detections |');
console.log('|---|---:|---:|---:|---:|---:|');
const refScores: Record<string, NabScore> = {};
for (const [name, cfg] of references) console.log(`| ${name} | ${fmt((refScores[name] = score(name, cfg, all)))} |`);
console.log('\nPublished NAB v1.1 standard-profile scores (all 58 series; indicative only): ARTime 74.9, Numenta HTM 70.5, CAD OSE 69.9, Skyline 58.2, windowed Gaussian 39.6.');

if (args.json) {
  writeFileSync(args.json, JSON.stringify({
    root, series: all.length, labelledWindows: all.reduce((a, s) => a + s.windows.length, 0),
    defaultScore: def.all.score, default: def, chosenOnA, chosenOnB, bestOnAll: { setting: nameAll, score: scoreAll }, references: refScores,
  }, null, 2));
  console.log(`\nwrote ${args.json}`);
}
