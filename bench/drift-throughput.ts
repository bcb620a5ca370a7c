/**
 * Hot paths of the drift stage, single thread (= per core):
 *  1. series updates/s: baseline + z-rule + EWMA chart judgement of one closed window;
 *  2. span windowing: spans/s into P50/P95/P99 via DDSketch bins, side by side with the
 *     reference of exact quantiles by sorting raw latencies (simple-statistics), with the
 *     quantile error of the sketch against that reference;
 *  3. the fused series-drift processor end to end in the replay runtime, the engine's PartitionTask (spans/s).
 * Usage: npx tsx bench/drift-throughput.ts
 */
import { quantileSorted } from 'simple-statistics';
import { judgeWindow, type SeriesState } from '../streams/processors/drift/series-judge.ts';
import { driftConfig } from '../streams/processors/drift/drift-config.ts';
import { addSpan, finalizeWindow, type SpanAcc } from '../streams/processors/series/window-accumulator.ts';
import { sketchBucketCount } from '../streams/processors/series/latency-sketch.ts';
import { createSeriesDriftProcessor } from '../streams/processors/drift/series-drift-processor.ts';
import { replay } from '../streams/runtime/replay/replay.ts';
import type { SpanRecord } from '../streams/processors/series/input-records.ts';
import { Topics } from '../streams/topic-catalog.ts';
import seedrandom from 'seedrandom';

const rng = seedrandom('bench');
const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const T0 = Date.UTC(2026, 10, 24);

// 1. series updates
{
  const cfg = driftConfig();
  const nSeries = 5000;
  const windows = 200;
  const states: (SeriesState | undefined)[] = new Array(nSeries);
  const t0 = performance.now();
  for (let w = 0; w < windows; w++) {
    for (let s = 0; s < nSeries; s++) {
      const r = judgeWindow(states[s], { seriesId: `s${s}`, name: 'x', labels: {}, scope: 'fleet', windowStartMs: T0 + w * 60_000, windowEndMs: T0 + (w + 1) * 60_000, value: 50 + 5 * gauss(), sampleCount: 1 }, cfg);
      states[s] = r.state;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`series updates: ${(nSeries * windows).toLocaleString('en')} in ${secs.toFixed(2)} s → ${Math.round((nSeries * windows) / secs).toLocaleString('en')} updates/s per core`);
}

// 2. span windowing: DDSketch bins vs exact sort
function mkSpan(i: number, durMs: number): SpanRecord {
  return { vehicleId: 'V', traceId: 't', spanId: String(i), parentSpanId: null, service: 'svc', serviceVersion: '1', name: `op${i % 20}`, kind: 'SERVER', startTimeUs: (T0 + i) * 1000 - durMs * 1000, endTimeUs: (T0 + i) * 1000, status: 'OK', statusMessage: null, attributes: {} };
}
{
  const n = 200_000;
  const spans = Array.from({ length: n }, (_, i) => mkSpan(i, 40 * Math.exp(0.5 * gauss())));
  // Sketch path: 20 operations, one accumulator each, finalised once.
  let t0 = performance.now();
  const accs = new Map<string, SpanAcc>();
  for (const s of spans) accs.set(s.name, addSpan(accs.get(s.name), s) as SpanAcc);
  const sketchPts = [...accs.values()].flatMap((a) => finalizeWindow(a, 'fleet', T0, T0 + 60_000));
  const sketchSecs = (performance.now() - t0) / 1000;
  // Reference: keep raw durations, sort, exact quantiles (simple-statistics).
  t0 = performance.now();
  const raw = new Map<string, number[]>();
  for (const s of spans) {
    const l = raw.get(s.name) ?? [];
    l.push((s.endTimeUs - s.startTimeUs) / 1000);
    raw.set(s.name, l);
  }
  const exact = new Map<string, number[]>();
  for (const [k, l] of raw) {
    const sorted = l.sort((a, b) => a - b);
    exact.set(k, [0.5, 0.95, 0.99].map((q) => quantileSorted(sorted, q)));
  }
  const refSecs = (performance.now() - t0) / 1000;
  let maxRelErr = 0;
  for (const p of sketchPts) {
    const q = { 'span.latency.p50': 0, 'span.latency.p95': 1, 'span.latency.p99': 2 }[p.name as 'span.latency.p50'];
    if (q === undefined) continue;
    const e = exact.get(p.labels['operation']!)![q]!;
    maxRelErr = Math.max(maxRelErr, Math.abs(p.value - e) / e);
  }
  const bins = [...accs.values()].reduce((a, x) => a + sketchBucketCount(x.sketch), 0);
  console.log(`span windowing, DDSketch bins: ${Math.round(n / sketchSecs).toLocaleString('en')} spans/s; state ${bins} bins for ${n} spans`);
  console.log(`span windowing, exact sort (simple-statistics): ${Math.round(n / refSecs).toLocaleString('en')} spans/s; state ${n} numbers`);
  console.log(`ratio sketch/exact throughput: ${(refSecs / sketchSecs).toFixed(2)}; max relative quantile error of the sketch: ${(100 * maxRelErr).toFixed(2)} %`);
}

// 3. fused processor through the replay runtime (the engine's PartitionTask)
{
  const n = 100_000;
  const feed = Array.from({ length: n }, (_, i) => ({ topic: Topics.spans, key: 'V', value: mkSpan(i * 30, 40 * Math.exp(0.3 * gauss())), partition: 0 }));
  const p = createSeriesDriftProcessor({ window: { windowMs: 10_000 } });
  const t0 = performance.now();
  const r = replay([p], feed, { endOfInputAtMs: T0 + n * 30 + 60_000 });
  const outputs = Object.values(r.outputs).reduce((a, xs) => a + xs.length, 0);
  const secs = (performance.now() - t0) / 1000;
  console.log(`series-drift processor (replay runtime, 20 ops, 10 s windows): ${Math.round(n / secs).toLocaleString('en')} spans/s; ${outputs} outputs, ${r.dlq.length} DLQ`);
}
