import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, parseCsvObjects } from '../../../bench/logs-csv.ts';
import { groupingAccuracy } from '../../../bench/logs-loghub.ts';

test('CSV: quoted fields with commas, doubled quotes, line breaks and CRLF', () => {
  const text = 'a,b,c\r\n1,"x, y","say ""hi"""\n2,"multi\nline",\n';
  assert.deepEqual(parseCsv(text), [['a', 'b', 'c'], ['1', 'x, y', 'say "hi"'], ['2', 'multi\nline', '']]);
  assert.deepEqual(parseCsvObjects('Content,EventId\n"Kind: YARN, Service: ",E61\n'), [{ Content: 'Kind: YARN, Service: ', EventId: 'E61' }]);
});

test('grouping accuracy: only exact groups count (hand computed)', () => {
  // Truth: A×3, B×2, C×1. Predicted: {A,A,A} exact, {B} and {B} split, {C} exact → (3 + 1) / 6.
  assert.equal(groupingAccuracy(['1', '1', '1', '2', '3', '4'], ['A', 'A', 'A', 'B', 'B', 'C']), 4 / 6);
  // A merge of B and C makes that group wrong: only A's 3 lines are right.
  assert.equal(groupingAccuracy(['1', '1', '1', '2', '2', '2'], ['A', 'A', 'A', 'B', 'B', 'C']), 3 / 6);
});
