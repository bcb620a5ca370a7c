import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lintRuleFiles } from '../../../streams/fmea/lint.ts';
import type { RuleIssue } from '../../../streams/processors/fmea/rule-issue.ts';

const FX = 'test/unit/fmea/fixtures';
const pick = (i: RuleIssue) => ({ severity: i.severity, line: i.line, column: i.column, field: i.field });

test('the shipped worksheets lint clean', () => {
  const r = lintRuleFiles(['fmea-rules']);
  assert.deepEqual(r.issues, []);
  assert.equal(r.entries, 5);
  assert.ok(r.files.every((f) => !f.endsWith('occurrence-table.yaml') && !f.endsWith('known-series.yaml')));
});

test('YAML syntax error points at the unclosed quote', () => {
  const r = lintRuleFiles([`${FX}/yaml-syntax.yaml`]);
  assert.equal(r.errors, 1);
  assert.equal(r.issues[0]!.file, `${FX}/yaml-syntax.yaml`);
  assert.deepEqual(pick(r.issues[0]!), { severity: 'error', line: 4, column: 11, field: '' });
  assert.match(r.issues[0]!.message, /YAML syntax/);
});

test('ratings outside 1-10 name the field and its line', () => {
  const r = lintRuleFiles([`${FX}/rating-out-of-range.yaml`]);
  assert.deepEqual(r.issues.map(pick), [
    { severity: 'error', line: 9, column: 15, field: 'entries[0].severity' },
    { severity: 'error', line: 10, column: 17, field: 'entries[0].occurrence' },
  ]);
});

test('unknown evidence fields are errors, unknown series a warning, all in one run', () => {
  const r = lintRuleFiles([`${FX}/unknown-fields.yaml`], { knownSeriesFile: 'fmea-rules/known-series.yaml' });
  assert.deepEqual(r.issues.map(pick), [
    // column of `bus_lode` inside the condition string
    { severity: 'error', line: 14, column: 45, field: 'entries[0].evidence.all[0].canFeature' },
    // the key `keyword` (should be keywords)
    { severity: 'error', line: 15, column: 25, field: 'entries[0].evidence.all[1].logCluster.keyword' },
    { severity: 'warning', line: 16, column: 18, field: 'entries[0].evidence.all[2].drift' },
  ]);
  assert.match(r.issues[0]!.message, /unknown CAN feature 'bus_lode'/);
  assert.match(r.issues[2]!.message, /no_such_series/);
});

test('duplicate entry ids within a file and across files', () => {
  const within = lintRuleFiles([`${FX}/duplicate-ids-a.yaml`]);
  assert.deepEqual(within.issues.map(pick), [{ severity: 'error', line: 23, column: 9, field: 'entries[2].id' }]);
  const across = lintRuleFiles([`${FX}/duplicate-ids-b.yaml`, `${FX}/duplicate-ids-c.yaml`]);
  assert.equal(across.errors, 1);
  assert.equal(across.issues[0]!.file, `${FX}/duplicate-ids-c.yaml`);
  assert.equal(across.issues[0]!.line, 3);
  assert.match(across.issues[0]!.message, /S-D-02.*duplicate-ids-b\.yaml/);
});

test('condition syntax errors carry the column inside the string; misplaced within', () => {
  const r = lintRuleFiles([`${FX}/condition-syntax.yaml`]);
  assert.deepEqual(r.issues.map(pick), [
    // `"nrc_share > 0.67 and normal.nrc_share <"` starts at column 23; the string ends at offset 39 → 23 + 1 + 39
    { severity: 'error', line: 14, column: 63, field: 'entries[0].evidence.any[0].canCluster' },
    { severity: 'error', line: 16, column: 11, field: 'entries[0].evidence.any[1].within' },
  ]);
});
