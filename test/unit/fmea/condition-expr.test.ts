import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConditionSyntaxError, evaluateCondition, parseCondition, type RefNode } from '../../../streams/processors/fmea/condition-expr.ts';

const fields = (m: Record<string, number>) => (r: RefNode) => m[r.name];

test('comparisons, and/or/not, parentheses and percentages', () => {
  const e = parseCondition('dlc_mismatch_share > 0.32 and (error_frame_share >= 1% or not nrc_share < 0.5)');
  assert.equal(evaluateCondition(e, fields({ dlc_mismatch_share: 0.4, error_frame_share: 0.01, nrc_share: 0 })), true);
  assert.equal(evaluateCondition(e, fields({ dlc_mismatch_share: 0.4, error_frame_share: 0.009, nrc_share: 0.1 })), false);
  assert.equal(evaluateCondition(e, fields({ dlc_mismatch_share: 0.4, error_frame_share: 0.009, nrc_share: 0.7 })), true);
  assert.equal(evaluateCondition(e, fields({ dlc_mismatch_share: 0.3, error_frame_share: 0.5, nrc_share: 0.7 })), false);
});

test('a missing field makes its comparison false, not an error', () => {
  assert.equal(evaluateCondition(parseCondition('x > 1'), fields({})), false);
  assert.equal(evaluateCondition(parseCondition('x > 1 or y == 2'), fields({ y: 2 })), true);
});

test('series selectors with labels; numbers on the left; hex', () => {
  const e = parseCondition('can_bus_error_rate{bus="main", ecu!="gw"} > 5%');
  assert.equal(e.type, 'cmp');
  if (e.type !== 'cmp' || e.left.type !== 'ref') throw new Error('shape');
  assert.equal(e.left.name, 'can_bus_error_rate');
  assert.deepEqual(e.left.labels, [{ name: 'bus', op: '=', value: 'main' }, { name: 'ecu', op: '!=', value: 'gw' }]);
  assert.equal(e.right.type === 'num' && e.right.value, 0.05);
  assert.equal(evaluateCondition(parseCondition('0.5 < x'), fields({ x: 0.6 })), true);
  assert.equal(evaluateCondition(parseCondition('id == 0x2A3'), fields({ id: 675 })), true);
});

test('syntax errors carry the column of the problem', () => {
  const cases: [string, number][] = [
    ['a >> 3', 3],
    ['a > ', 4],
    ['a > 3 b', 6],
    ['s{bus=main} > 1', 6],
    ['a > 3 $', 6],
    ['3 > 4', 0],
  ];
  for (const [src, col] of cases) {
    assert.throws(() => parseCondition(src), (err: unknown) => err instanceof ConditionSyntaxError && err.column === col, src);
  }
});

test('no code execution: JavaScript in a condition is a syntax error', () => {
  assert.throws(() => parseCondition('process.exit(1)'), ConditionSyntaxError);
  assert.throws(() => parseCondition('a > 1; require("fs")'), ConditionSyntaxError);
});
