import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lintPolicyFile, parsePolicyFile } from '../../../streams/processors/suppression/policy-file.ts';
import { SourceLocationError, ErrorCodes } from '../../../streams/errors.ts';
import { projectFile } from './fixtures.ts';

const FILE = 'config/suppression-policies.yaml';

test('the default policy file is valid and means what its comments say', () => {
  const set = parsePolicyFile(readFileSync(projectFile(FILE), 'utf8'), FILE);
  assert.deepEqual(set.policies.map((p) => p.name), ['gray-release-latency-drift', 'gray-release-low-traffic-noncore-errors']);
  const [lat, err] = set.policies;
  assert.deepEqual(lat!.duration, { kind: 'for', ms: 5 * 60_000 });
  assert.equal(lat!.maxTrafficPercent, null);
  assert.deepEqual(err!.duration, { kind: 'until-release-end' });
  assert.equal(err!.maxTrafficPercent, 5);
  assert.equal(err!.nonCoreOnly, true);
  assert.deepEqual(set.coreChains.map((c) => c.name), ['braking', 'powertrain-torque']);
});

const base = `version: 1
policies:
  - name: p1
    match: ['__name__="span.latency.p95"']
    whileRelease: {}
    suppressFor: 5m
`;

test('lint: unknown field names file, line and field', () => {
  const text = base + '    supressUntil: release-end\n';
  const issues = lintPolicyFile(text, 'x.yaml');
  assert.equal(issues.length, 1);
  assert.deepEqual({ line: issues[0]!.line, field: issues[0]!.field, file: issues[0]!.file }, { line: 7, field: 'policies[0].supressUntil', file: 'x.yaml' });
  assert.match(issues[0]!.message, /unknown field "supressUntil"/);
});

test('lint: bad duration and bad traffic share point at their lines', () => {
  const text = `version: 1
policies:
  - name: p1
    match: ['__name__="x"']
    whileRelease:
      maxTrafficPercent: 150
    suppressFor: five minutes
`;
  const issues = lintPolicyFile(text, 'x.yaml');
  const byField = new Map(issues.map((i) => [i.field, i.line]));
  assert.equal(byField.get('policies[0].whileRelease.maxTrafficPercent'), 6);
  assert.equal(byField.get('policies[0].suppressFor'), 7);
});

test('lint: a malformed matcher and a duplicate name', () => {
  const text = `version: 1
policies:
  - name: p1
    match:
      - '__name__="ok"'
      - 'service=="x"'
    whileRelease: {}
    suppressFor: 1m
  - name: p1
    match: ['a="b"']
    whileRelease: {}
    suppressUntil: release-end
`;
  const issues = lintPolicyFile(text, 'x.yaml');
  assert.deepEqual(issues.map((i) => [i.line, i.field]), [[6, 'policies[0].match[1]'], [9, 'policies[1].name']]);
  assert.match(issues[0]!.message, /not a label matcher/);
  assert.match(issues[1]!.message, /duplicate policy name/);
});

test('lint: both or neither of suppressFor/suppressUntil, missing required field', () => {
  const both = lintPolicyFile(base + '    suppressUntil: release-end\n', 'x.yaml');
  assert.equal(both.length, 1);
  assert.equal(both[0]!.line, 3, 'points at the policy');
  assert.match(both[0]!.message, /exactly one of suppressFor/);
  const missing = lintPolicyFile(`version: 1\npolicies:\n  - name: p1\n    whileRelease: {}\n    suppressFor: 1m\n`, 'x.yaml');
  assert.deepEqual(missing.map((i) => [i.line, i.field]), [[3, 'policies[0].match']]);
});

test('YAML syntax errors carry the line; parsePolicyFile throws SourceLocationError POLICY_INVALID', () => {
  const text = 'version: 1\npolicies:\n  - name: p1\n    match: [unclosed\n';
  const issues = lintPolicyFile(text, 'x.yaml');
  assert.ok(issues.length >= 1);
  assert.equal(issues[0]!.field, '(yaml)');
  assert.ok(issues[0]!.line >= 4);
  assert.throws(() => parsePolicyFile(base + '    bogus: 1\n', 'x.yaml'), (e: unknown) => {
    assert.ok(e instanceof SourceLocationError);
    assert.equal(e.code, ErrorCodes.POLICY_INVALID);
    assert.equal(e.file, 'x.yaml');
    assert.equal(e.line, 7);
    assert.equal(e.field, 'policies[0].bogus');
    assert.match(e.message, /^x\.yaml:7:5 \(policies\[0\]\.bogus\): unknown field/);
    return true;
  });
});
