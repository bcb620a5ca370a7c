import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TREND_OPTIONS, INITIAL_TREND, evaluateTrend, type TrendState } from '../../../streams/processors/logs/cluster-trends.ts';

const o = { ...DEFAULT_TREND_OPTIONS, alpha: 0.5, rateUpRatio: 3, minCount: 5, minBaselineWindows: 3, goneAfterWindows: 2, goneMinBaseline: 1, warmupWindows: 1 };
const flags = (windowsClosed = 10) => ({ isNew: false, compositionChanged: false, windowsClosed });

function run(counts: number[], start: TrendState = INITIAL_TREND) {
  let s = start;
  const all: { i: number; type: string; baseline: number | null; ratio: number | null }[] = [];
  counts.forEach((c, i) => {
    const r = evaluateTrend(s, c, flags(), o);
    s = r.next;
    for (const e of r.events) all.push({ i, ...e });
  });
  return { state: s, events: all };
}

test('EWMA baseline by hand: 10, 20, 10 with alpha 0.5 → 10, 15, 12.5', () => {
  assert.equal(run([10]).state.baseline, 10);
  assert.equal(run([10, 20]).state.baseline, 15);
  assert.equal(run([10, 20, 10]).state.baseline, 12.5);
});

test('rate ×N over baseline raises RATE_UP with baseline and ratio', () => {
  const r = run([10, 10, 10, 40]);
  assert.deepEqual(r.events, [{ i: 3, type: 'RATE_UP', baseline: 10, ratio: 4 }]);
});

test('no RATE_UP before the baseline has history, below minCount, or below the ratio', () => {
  assert.deepEqual(run([10, 40]).events, []);
  assert.deepEqual(run([1, 1, 1, 4]).events, [], '4 lines is below minCount 5');
  assert.deepEqual(run([10, 10, 10, 29]).events, [], '2.9× is below 3×');
});

test('GONE after goneAfterWindows empty windows, once; back to normal when lines return', () => {
  const r = run([10, 10, 0, 0, 0, 5, 0, 0]);
  assert.deepEqual(r.events.map((e) => [e.i, e.type]), [[3, 'GONE'], [7, 'GONE']]);
});

test('a GONE cluster that returns at ×N of the rate it had when last active is RATE_UP against that rate; at its old rate it is not', () => {
  // alpha 0.5: baseline 4, 4; GONE after two empty windows (lastActiveBaseline 4); back with 20 = 5× of 4.
  const flood = run([4, 4, 0, 0, 20]);
  assert.deepEqual(flood.events, [{ i: 3, type: 'GONE', baseline: 2, ratio: 0 }, { i: 4, type: 'RATE_UP', baseline: 4, ratio: 5 }]);
  // Back with 8 = 2× of 4: a return, not a rise (the decayed baseline 1 would have made it 8×).
  assert.deepEqual(run([4, 4, 0, 0, 8]).events.map((e) => e.type), ['GONE']);
});

test('NEW for a new cluster after warm-up only, and only with lines', () => {
  assert.deepEqual(evaluateTrend(INITIAL_TREND, 3, { isNew: true, compositionChanged: false, windowsClosed: 0 }, o).events, []);
  assert.deepEqual(evaluateTrend(INITIAL_TREND, 3, { isNew: true, compositionChanged: false, windowsClosed: 1 }, o).events, [{ type: 'NEW', baseline: null, ratio: null }]);
  assert.deepEqual(evaluateTrend(INITIAL_TREND, 0, { isNew: true, compositionChanged: false, windowsClosed: 5 }, o).events, []);
});

test('UPDATE when the set of templates changed', () => {
  const s = run([10, 10]).state;
  assert.deepEqual(evaluateTrend(s, 10, { isNew: false, compositionChanged: true, windowsClosed: 5 }, o).events, [{ type: 'UPDATE', baseline: 10, ratio: 1 }]);
});
