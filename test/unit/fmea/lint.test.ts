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

test('YAML syntax error points at the unclosed quote and names the key it belongs to', () => {
  const r = lintRuleFiles([`${FX}/yaml-syntax.yaml`]);
  assert.equal(r.errors, 1);
  assert.equal(r.issues[0]!.file, `${FX}/yaml-syntax.yaml`);
  assert.deepEqual(pick(r.issues[0]!), { severity: 'error', line: 4, column: 11, field: 'entries[0].item' });
  assert.match(r.issues[0]!.message, /YAML syntax/);
});

test('an unclosed flow map deep in the evidence is reported at its opening brace with the key path', () => {
  const r = lintRuleFiles([`${FX}/yaml-syntax-nested.yaml`]);
  assert.deepEqual(r.issues.map(pick), [{ severity: 'error', line: 15, column: 18, field: 'entries[0].evidence.all[1].drift' }]);
  assert.match(r.issues[0]!.message, /YAML syntax: Flow map/);
});

test('a duplicate entry id across files is reported even when the file also has other errors', () => {
  const r = lintRuleFiles([`${FX}/duplicate-ids-b.yaml`, `${FX}/duplicate-ids-broken.yaml`]);
  assert.deepEqual(r.issues.map((i) => ({ file: i.file, ...pick(i) })), [
    { file: `${FX}/duplicate-ids-broken.yaml`, severity: 'error', line: 9, column: 15, field: 'entries[0].severity' },
    { file: `${FX}/duplicate-ids-broken.yaml`, severity: 'error', line: 13, column: 9, field: 'entries[1].id' },
  ]);
  assert.match(r.issues[1]!.message, /duplicate entry id 'S-D-02' \(also in .*duplicate-ids-b\.yaml\)/);
});

test('a condition on a series that never exists is a warning; a statistic of a known series is not', () => {
  const r = lintRuleFiles([`${FX}/series-statistics.yaml`], { knownSeriesFile: 'fmea-rules/known-series.yaml' });
  assert.equal(r.errors, 0);
  assert.deepEqual(r.issues.map(pick), [{ severity: 'warning', line: 15, column: 18, field: 'entries[0].evidence.any[1].drift' }]);
  assert.match(r.issues[0]!.message, /series 'ecu_service_latency' is not produced by any known source/);
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

test('at model scope, a condition on evidence that names no vehicle (canary verdicts) is a warning; vehicle evidence gets its model from the registry', () => {
  const r = lintRuleFiles([`${FX}/model-scope-canary.yaml`], { knownSeriesFile: 'fmea-rules/known-series.yaml' });
  assert.equal(r.errors, 0);
  assert.deepEqual(r.issues.map(pick), [{ severity: 'warning', line: 15, column: 11, field: 'entries[0].evidence.any[0].canary' }]);
  assert.match(r.issues[0]!.message, /model scope .* canary evidence names no vehicle/);
  const vehicleEvidence = lintRuleFiles([`${FX}/model-scope.yaml`], { knownSeriesFile: 'fmea-rules/known-series.yaml' });
  assert.deepEqual(vehicleEvidence.issues.map(pick), []);
});
