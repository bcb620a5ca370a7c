import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { runRuleTestFile } from '../../../streams/fmea/rules-test.ts';

test('every shipped rules test passes (the examples for the producer fault scenarios)', () => {
  const files = readdirSync('fmea-rules/tests').filter((f) => f.endsWith('.test.yaml'));
  assert.ok(files.length >= 4);
  const results = files.flatMap((f) => runRuleTestFile(`fmea-rules/tests/${f}`));
  assert.ok(results.length >= 10);
  assert.deepEqual(results.filter((r) => r.failures.length > 0), []);
});

test('a wrong expectation makes the runner fail with a useful message', () => {
  const [r] = runRuleTestFile('test/unit/fmea/fixtures/failing-expectation.test.yaml');
  assert.ok(r);
  assert.equal(r.failures.length, 3);
  assert.match(r.failures[0]!, /rpn: expected 161, got 160/);
  assert.match(r.failures[1]!, /S-ODS-08\|vehicle:V2 was not produced/);
  assert.match(r.failures[2]!, /fleet:fleet was produced/);
});

test('a rules test can give the vehicle registry: a model-scope entry activates for the model of the vehicle with the evidence only', () => {
  const results = runRuleTestFile('test/unit/fmea/fixtures/model-scope.test.yaml');
  assert.equal(results.length, 2);
  assert.deepEqual(results.filter((r) => r.failures.length > 0), []);
});

test('rules test judges evidence as the engine does: late evidence and records the engine dead-letters are failures, not activations', () => {
  const [r] = runRuleTestFile('test/unit/fmea/fixtures/late-evidence.test.yaml');
  assert.ok(r);
  assert.ok(r.failures.some((f) => /^input\[1\] \(fmeaflow\.can-features\.v1\): late: event time 1764000000000 is behind the watermark 1764000300000/.test(f)), r.failures.join('\n'));
  assert.ok(r.failures.some((f) => /^input\[2\] \(fmeaflow\.can-features\.v1\): /.test(f)), r.failures.join('\n'));
  assert.ok(r.failures.some((f) => /S-ODS-08\|vehicle:V2 was not produced/.test(f)), r.failures.join('\n'));
});
