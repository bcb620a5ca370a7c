import assert from 'node:assert/strict';
import { test } from 'node:test';
import { actionPriority } from '../../../streams/processors/fmea/action-priority.ts';
import { riskPriorityNumber } from '../../../streams/processors/fmea/rpn.ts';

// All 1000 cells against the handbook table expanded to a CSV: bench/fmea-reference-tables.ts (reads reference data
// beside the project). Here: cells of every severity band, read off the AIAG-VDA (2019) DFMEA AP table by hand.
test('AP on cells of every severity band of the AIAG-VDA DFMEA table', () => {
  const cells: [number, number, number, string][] = [
    [10, 2, 1, 'L'], [10, 3, 5, 'M'], [9, 1, 1, 'L'], [9, 6, 2, 'H'], [9, 8, 1, 'H'],
    [8, 1, 10, 'L'], [8, 2, 7, 'M'], [7, 2, 1, 'L'], [7, 4, 7, 'H'], [7, 6, 1, 'M'],
    [6, 3, 5, 'L'], [6, 5, 3, 'L'], [5, 2, 9, 'L'], [5, 7, 5, 'M'], [4, 4, 4, 'L'],
    [4, 6, 7, 'M'], [4, 8, 2, 'M'], [3, 10, 10, 'M'], [2, 9, 9, 'M'], [1, 2, 10, 'L'],
  ];
  assert.deepEqual(cells.map(([s, o, d]) => `S${s} O${o} D${d}: ${actionPriority(s, o, d)}`), cells.map(([s, o, d, ap]) => `S${s} O${o} D${d}: ${ap}`));
});

test('AP spot checks read straight off the handbook page', () => {
  assert.equal(actionPriority(10, 10, 10), 'H');
  assert.equal(actionPriority(9, 4, 1), 'M'); // S9-10, O4-5, D1
  assert.equal(actionPriority(9, 2, 3), 'L'); // S-FLA-22
  assert.equal(actionPriority(8, 4, 5), 'M'); // S-ODS-08
  assert.equal(actionPriority(1, 10, 10), 'L');
});

test('AP and RPN reject ratings outside 1-10', () => {
  for (const [s, o, d] of [[0, 5, 5], [5, 11, 5], [5, 5, 2.5], [Number.NaN, 1, 1]] as const) {
    assert.throws(() => actionPriority(s, o, d), RangeError);
    assert.throws(() => riskPriorityNumber(s, o, d), RangeError);
  }
});

test('RPN is S x O x D', () => {
  assert.equal(riskPriorityNumber(8, 4, 5), 160);
  assert.equal(riskPriorityNumber(9, 2, 3), 54);
  assert.equal(riskPriorityNumber(1, 1, 1), 1);
  assert.equal(riskPriorityNumber(10, 10, 10), 1000);
});
