import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import { occurrenceFromShare, validateOccurrenceTable } from '../../../streams/processors/fmea/occurrence.ts';

const table = loadOccurrenceTable('fmea-rules/occurrence-table.yaml');

// The reference CSV beside the project is compared by bench/fmea-reference-tables.ts; these are the AIAG (4th edition) rows by hand.
test('the committed occurrence table carries the AIAG failures-per-1000 thresholds', () => {
  const sort = (x: readonly { occurrence: number }[]) => [...x].sort((a, b) => a.occurrence - b.occurrence);
  const aiag = [[10, 100], [9, 50], [8, 20], [7, 10], [6, 2], [5, 0.5], [4, 0.1], [3, 0.01], [2, 0.001], [1, 0]].map(([o, t]) => ({ occurrence: o!, atLeastPer1000: t! }));
  assert.deepEqual(sort(table), sort(aiag));
});

test('observed occurrence from the share of affected vehicles', () => {
  // per 1000 = affected / fleet * 1000, then the highest O whose threshold is reached
  assert.equal(occurrenceFromShare(0, 1000, table), 1);
  assert.equal(occurrenceFromShare(1, 1_000_000, table), 2); // 0.001 per 1000
  assert.equal(occurrenceFromShare(1, 100_000, table), 3); // 0.01
  assert.equal(occurrenceFromShare(1, 10_000, table), 4); // 0.1
  assert.equal(occurrenceFromShare(1, 1000, table), 5); // 1
  assert.equal(occurrenceFromShare(2, 1000, table), 6); // 2
  assert.equal(occurrenceFromShare(15, 1000, table), 7); // 15
  assert.equal(occurrenceFromShare(20, 1000, table), 8); // 20, boundary is inclusive
  assert.equal(occurrenceFromShare(5, 100, table), 9); // 50
  assert.equal(occurrenceFromShare(1, 10, table), 10); // 100
  assert.equal(occurrenceFromShare(3, 0, table), undefined); // fleet unknown
});

test('a configurable table is checked for order, range and a zero row', () => {
  assert.deepEqual(validateOccurrenceTable(table), []);
  const broken = [{ occurrence: 10, atLeastPer1000: 1 }, { occurrence: 9, atLeastPer1000: 5 }, { occurrence: 11, atLeastPer1000: 0.5 }];
  const problems = validateOccurrenceTable(broken);
  assert.ok(problems.some((p) => p.includes('occurrence 11')));
  assert.ok(problems.some((p) => p.includes('must be below')));
  assert.ok(problems.some((p) => p.includes('threshold 0')));
  // a custom, coarser table changes the result
  const coarse = [{ occurrence: 8, atLeastPer1000: 1 }, { occurrence: 1, atLeastPer1000: 0 }];
  assert.equal(occurrenceFromShare(1, 1000, coarse), 8);
  assert.equal(occurrenceFromShare(1, 2000, coarse), 1);
});
