/**
 * Quantiles of span latencies through DDSketch (relative-error guarantee, mergeable).
 * The store needs plain JSON values for its changelog, so the window keeps only the
 * sketch's bucket counts (dense, from the lowest bucket index of DDSketch's own mapping); a real DDSketch is
 * rebuilt from them when the window closes. Memory is bounded by the number of
 * buckets (≈ 460 for 1 µs..1 h at 1 % accuracy), not by the number of spans.
 */
import { DDSketch } from '@datadog/sketches-js';

/** Serialisable bucket counts of a DDSketch: dense counts from bucket index `offset` (cheap to copy). */
export interface SketchBins {
  readonly offset: number;
  readonly counts: readonly number[];
  readonly zeros: number;
  readonly count: number;
}

/** Relative accuracy of every latency sketch (1 %). */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

const mapping = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY }).mapping;

/** An empty sketch. */
export function emptySketch(): SketchBins {
  return { offset: 0, counts: [], zeros: 0, count: 0 };
}

/** Adds one non-negative value; returns a new value (the input is not mutated). */
export function sketchAdd(s: SketchBins, value: number): SketchBins {
  if (value < mapping.minPossible) return { ...s, zeros: s.zeros + 1, count: s.count + 1 };
  const k = mapping.key(value);
  if (s.counts.length === 0) return { offset: k, counts: [1], zeros: s.zeros, count: s.count + 1 };
  let counts: number[];
  let offset = s.offset;
  if (k < offset) {
    counts = new Array<number>(offset - k).fill(0).concat(s.counts);
    offset = k;
  } else if (k >= offset + s.counts.length) {
    counts = s.counts.concat(new Array<number>(k - offset - s.counts.length + 1).fill(0));
  } else counts = s.counts.slice();
  counts[k - offset] = (counts[k - offset] ?? 0) + 1;
  return { offset, counts, zeros: s.zeros, count: s.count + 1 };
}

/** Number of non-empty buckets (memory check). */
export function sketchBucketCount(s: SketchBins): number {
  return s.counts.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
}

/** Rebuilds a DDSketch from the bins. */
export function toDDSketch(s: SketchBins): DDSketch {
  const sk = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
  if (s.zeros > 0) sk.accept(0, s.zeros);
  s.counts.forEach((c, i) => {
    if (c > 0) sk.accept(mapping.value(s.offset + i), c);
  });
  return sk;
}

/** Quantiles (0..1) of the sketch, in the order asked; NaN for an empty sketch. */
export function sketchQuantiles(s: SketchBins, qs: readonly number[]): number[] {
  if (s.count === 0) return qs.map(() => Number.NaN);
  const sk = toDDSketch(s);
  return qs.map((q) => sk.getValueAtQuantile(q));
}

/** The sketch as (bucket representative value, count) pairs, zeros first; empty buckets skipped. */
export function sketchValueCounts(s: SketchBins): [number, number][] {
  const out: [number, number][] = [];
  if (s.zeros > 0) out.push([0, s.zeros]);
  s.counts.forEach((c, i) => {
    if (c > 0) out.push([mapping.value(s.offset + i), c]);
  });
  return out;
}
