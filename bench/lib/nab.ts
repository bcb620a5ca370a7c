/**
 * The Numenta Anomaly Benchmark for the drift benches: a loader for any directory in NAB's layout
 * (`data/<category>/*.csv` with timestamp,value rows, plus `combined_windows.json`) and the NAB v1.1
 * standard-profile scorer (scaled sigmoid, probation 15 % of rows capped at 750, A_TP = 1,
 * A_FP = −0.11, A_FN = −1; normalised over the scored corpus so the null detector scores 0 and a
 * perfect one 100). Detections are row indices.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface NabSeries {
  /** `<category>/<file>.csv`, the key of combined_windows.json. */
  readonly file: string;
  readonly t: readonly number[];
  readonly v: readonly number[];
  /** Labelled anomaly windows as inclusive row ranges. */
  readonly windows: readonly (readonly [number, number])[];
}

const PROBATION = 0.15;
const W = { tp: 1, fp: 0.11, fn: 1 };

function parseTs(s: string): number {
  return Date.parse(s.trim().replace(' ', 'T').replace(/(\.\d{3})\d*$/, '$1') + 'Z');
}

/** Loads every series of a NAB-layout directory, sorted by key; exits with one line when the layout is missing. */
export function loadNab(root: string): NabSeries[] {
  const windowsFile = join(root, 'combined_windows.json');
  if (!existsSync(windowsFile) || !existsSync(join(root, 'data'))) {
    console.error(`NAB data not found: ${root} needs data/<category>/*.csv and combined_windows.json (reference data of ../shared/data/nab)`);
    process.exit(2);
  }
  const windows = JSON.parse(readFileSync(windowsFile, 'utf8')) as Record<string, [string, string][]>;
  const out: NabSeries[] = [];
  for (const dir of readdirSync(join(root, 'data')).sort()) {
    for (const f of readdirSync(join(root, 'data', dir)).sort()) {
      if (!f.endsWith('.csv')) continue;
      const key = `${dir}/${f}`;
      const lines = readFileSync(join(root, 'data', dir, f), 'utf8').trim().split('\n').slice(1);
      const t: number[] = [];
      const v: number[] = [];
      for (const l of lines) {
        const [ts, val] = l.split(',');
        t.push(parseTs(ts!));
        v.push(Number(val));
      }
      const wins = (windows[key] ?? []).map(([a, b]) => {
        const s = parseTs(a);
        const e = parseTs(b);
        const si = t.findIndex((x) => x >= s);
        let ei = t.length - 1;
        while (ei > 0 && t[ei]! > e) ei--;
        return [si, ei] as const;
      });
      out.push({ file: key, t, v, windows: wins });
    }
  }
  return out;
}

const scaledSigmoid = (x: number): number => (x > 3 ? -1 : 2 / (1 + Math.exp(5 * x)) - 1);

/** NAB standard-profile raw score of one file's detections (row indices), plus counts. */
export function scoreFile(s: NabSeries, detections: readonly number[]): { raw: number; tp: number; fp: number; inWindow: number; windows: number } {
  const n = s.t.length;
  const probation = Math.min(Math.floor(PROBATION * n), PROBATION * 5000);
  const maxTP = scaledSigmoid(-1);
  const det = new Set(detections.filter((i) => i >= probation));
  let raw = 0;
  let tp = 0;
  let fp = 0;
  let inWindow = 0;
  const detectedWin = new Set<number>();
  let prevRight: number | null = null;
  let prevWidth = 0;
  let wi = 0;
  for (let i = 0; i < n; i++) {
    while (wi < s.windows.length && i > s.windows[wi]![1]) {
      prevRight = s.windows[wi]![1];
      prevWidth = s.windows[wi]![1] - s.windows[wi]![0] + 1;
      wi++;
    }
    if (!det.has(i)) continue;
    const w = s.windows[wi];
    if (w && i >= w[0] && i <= w[1]) {
      inWindow++;
      if (!detectedWin.has(wi)) {
        detectedWin.add(wi);
        tp++;
        const width = w[1] - w[0] + 1;
        raw += (scaledSigmoid(-(w[1] - i + 1) / width) * W.tp) / maxTP;
      }
    } else {
      fp++;
      const u = prevRight === null ? -1 : scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1));
      raw += u * W.fp;
    }
  }
  raw -= (s.windows.length - detectedWin.size) * W.fn;
  return { raw, tp, fp, inWindow, windows: s.windows.length };
}

/** Corpus score of a detector over `series` (normalised over exactly these series). */
export interface NabScore { score: number; recall: number; precision: number; tp: number; fp: number; windows: number }

export function scoreCorpus(series: readonly NabSeries[], detections: (s: NabSeries) => readonly number[]): NabScore {
  let raw = 0, nul = 0, perfect = 0, tp = 0, fp = 0, inWindow = 0, windows = 0, dets = 0;
  for (const s of series) {
    const r = scoreFile(s, detections(s));
    raw += r.raw;
    nul += -W.fn * s.windows.length;
    perfect += W.tp * s.windows.length;
    tp += r.tp; fp += r.fp; inWindow += r.inWindow; windows += r.windows; dets += r.inWindow + r.fp;
  }
  return { score: perfect === nul ? Number.NaN : (100 * (raw - nul)) / (perfect - nul), recall: windows ? tp / windows : Number.NaN, precision: dets ? inWindow / dets : Number.NaN, tp, fp, windows };
}
