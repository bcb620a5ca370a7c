import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { actionPriority } from '../../../streams/processors/fmea/action-priority.ts';
import { riskPriorityNumber } from '../../../streams/processors/fmea/rpn.ts';

// Reference: the handbook table expanded to all cells, kept outside the project.
const CSV = '../shared/data/fmea/aiag-vda-action-priority.csv';

test('AP equals the AIAG-VDA reference on all 1000 (S,O,D) cells', () => {
  const rows = readFileSync(CSV, 'utf8').trim().split(/\r?\n/).slice(1);
  assert.equal(rows.length, 1000);
  const mismatches: string[] = [];
  for (const row of rows) {
    const [s, o, d, ap] = row.split(',');
    const got = actionPriority(Number(s), Number(o), Number(d));
    if (got !== ap!.trim()) mismatches.push(`S${s} O${o} D${d}: want ${ap} got ${got}`);
  }
  assert.deepEqual(mismatches, []);
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
