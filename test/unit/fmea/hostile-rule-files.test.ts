/**
 * Hostile rule and policy files: every way of breaking the YAML reader (alias bombs, size,
 * nesting, entry counts, too many worksheets, unprintable keys) is a located RULE_INVALID /
 * POLICY_INVALID in lint, in publish and in the evaluation a worker runs, never an exception,
 * and the evaluation keeps the previous rule set producing actions.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FmeaflowError, SourceLocationError } from '../../../streams/errors.ts';
import { lintRuleFiles } from '../../../streams/fmea/lint.ts';
import { publishRuleFiles } from '../../../streams/fmea/publish.ts';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import { RULES_REFUSED_EVENT, type RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { formatIssue } from '../../../streams/processors/fmea/rule-issue.ts';
import { MAX_WORKSHEETS } from '../../../streams/processors/fmea/rule-set.ts';
import { parseWorksheet, WORKSHEET_LIMITS } from '../../../streams/processors/fmea/worksheet-parser.ts';
import { lintPolicyFile, parsePolicyFile, POLICY_FILE_LIMITS } from '../../../streams/processors/suppression/policy-file.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { runCli } from '../../helpers/cli.ts';
import { ALIAS_BOMB_FIRST_ALIAS_LINE, aliasBombPolicyFile, aliasBombWorksheet } from '../../helpers/hostile-yaml.ts';
import { Driver } from './harness.ts';
import { entry, record, sheet } from './worksheet-text.ts';

const T0 = 1_764_000_000_000;


function tmpFile(name: string, text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'hostile-rules-')), name);
  writeFileSync(file, text);
  return file;
}

/** The real entry point, spawned: once, to see what a user's terminal gets. */
function spawnCli(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'streams', 'cli.ts'), ...args], { encoding: 'utf8', cwd: PROJECT_ROOT, env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('an alias-bomb worksheet is one located lint error, in the library and on the command line, without a stack trace', () => {
  const file = tmpFile('bomb.yaml', aliasBombWorksheet());
  const r = lintRuleFiles([file]);
  assert.equal(r.errors, 1);
  assert.equal(r.issues[0]!.line, ALIAS_BOMB_FIRST_ALIAS_LINE);
  assert.match(r.issues[0]!.message, /YAML alias \*l0 is not accepted/);

  const c = spawnCli('rules', 'lint', file);
  assert.equal(c.code, 1);
  assert.equal(c.err, '', 'nothing on stderr');
  assert.match(c.out, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${ALIAS_BOMB_FIRST_ALIAS_LINE}:\\d+: error \\(owner\\.l1\\[0\\]\\): YAML alias \\*l0`, 'm'));
  assert.match(c.out, /1 file\(s\), 0 entries, 1 error\(s\)/);
});

test('rules publish refuses an alias-bomb worksheet with one RULE_INVALID line naming file:line:column, before contacting a broker', async () => {
  const file = tmpFile('bomb.yaml', aliasBombWorksheet());
  await assert.rejects(publishRuleFiles([file], { brokers: ['127.0.0.1:1'] }), (e: unknown) => {
    assert.ok(e instanceof SourceLocationError, String(e));
    assert.equal(e.code, 'RULE_INVALID');
    assert.equal(e.line, ALIAS_BOMB_FIRST_ALIAS_LINE);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    assert.match(e.message, /^.*bomb\.yaml:5:\d+ \(owner\.l1\[0\]\): not published: YAML alias/);
    return true;
  });
  const c = await runCli(['rules', 'publish', file, '--brokers', '127.0.0.1:1']);
  assert.equal(c.code, 1);
  assert.equal(c.out, '');
  assert.match(c.err, /^fmeaflow: .*bomb\.yaml:5:\d+ \(owner\.l1\[0\]\): not published: YAML alias \*l0 .* \[RULE_INVALID\]\n$/);
});

test('rules export refuses an alias-bomb worksheet with one RULE_INVALID line', async () => {
  const file = tmpFile('bomb.yaml', aliasBombWorksheet());
  const c = await runCli(['rules', 'export', file]);
  assert.equal(c.code, 1);
  assert.equal(c.out, '');
  assert.match(c.err, /^fmeaflow: .*bomb\.yaml:5:\d+ \(owner\.l1\[0\]\): YAML alias \*l0 .* \[RULE_INVALID\]\n$/);
});

test('the evaluation refuses an alias-bomb rule set from the rules topic and the previous set keeps producing actions', () => {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable: loadOccurrenceTable('fmea-rules/occurrence-table.yaml') }));
  const table = new Map<string, RuleSetRecord>();
  d.tables.set(Topics.rules, table as Map<string, unknown>);
  const put = (worksheet: string, yaml: string) => table.set(worksheet, record(worksheet, yaml));
  let t = T0;
  const fire = (): FmeaAction[] => d.feed(Topics.canFeatures, { vehicleId: 'V1', bus: 'main', windowStartMs: t, windowEndMs: (t += 10_000), features: { error_frame_share: 0.5 }, dtcCodes: [] } as never) as FmeaAction[];

  put('gateway', sheet('gateway', [entry('S-GW-01', 6)]));
  assert.equal(fire().find((a) => a.entryId === 'S-GW-01')?.severity, 6);
  put('gateway', aliasBombWorksheet('gateway'));
  assert.equal(fire().find((a) => a.entryId === 'S-GW-01')?.severity, 6, 'the previous set still produces the action');
  const refused = d.events.filter((e) => e.kind === RULES_REFUSED_EVENT);
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.details!['code'], 'RULE_INVALID');
  assert.equal(refused[0]!.details!['line'], ALIAS_BOMB_FIRST_ALIAS_LINE);
  assert.match(String(refused[0]!.details!['error']), /YAML alias/);
});

test('size, nesting depth and entry count have explicit bounds, each reported at its place', () => {
  const big = sheet('big', [entry('S-BIG-01')]) + `# ${'x'.repeat(WORKSHEET_LIMITS.maxBytes)}\n`;
  assert.deepEqual(parseWorksheet('big.yaml', big).issues.map((i) => [i.line, i.severity, i.message]), [[1, 'error', `file is over the limit of ${WORKSHEET_LIMITS.maxBytes} bytes (split it into several files)`]]);

  // Evidence groups nested past the depth bound, in block style (flow brackets are caught on the text, see below).
  let evidence = '    evidence:\n      all:\n';
  for (let i = 0; i < 12; i++) evidence += `${' '.repeat(8 + 4 * i)}- all:\n`;
  evidence += `${' '.repeat(8 + 4 * 12)}- canFeature: error_frame_share > 0.1\n`;
  const deep = sheet('deep', [entry('S-DEEP-01').replace('    evidence:\n      canFeature: error_frame_share > 0.1\n', evidence)]);
  const deepIssues = parseWorksheet('deep.yaml', deep).issues;
  assert.equal(deepIssues.length, 1, JSON.stringify(deepIssues));
  assert.match(deepIssues[0]!.message, new RegExp(`nested deeper than ${WORKSHEET_LIMITS.maxDepth} levels`));
  assert.equal(deepIssues[0]!.line, 24);
  assert.equal(deepIssues[0]!.field, `entries[0].evidence${'.all[0]'.repeat(10)}.all`, 'the list at depth 25');

  const many = sheet('many', Array.from({ length: 501 }, (_, i) => entry(`S-MANY-${i}`)));
  const manyIssues = parseWorksheet('many.yaml', many).issues.filter((i) => i.severity === 'error');
  assert.deepEqual(manyIssues.map((i) => [i.line, i.field, i.message]), [[3, 'entries', 'must NOT have more than 500 items']]);

  const files = Array.from({ length: MAX_WORKSHEETS + 1 }, (_, i) => tmpFile(`w${i}.yaml`, sheet(`w${i}`, [entry(`S-W-${i}`)])));
  const tooMany = lintRuleFiles(files);
  assert.equal(tooMany.errors, 1);
  assert.equal(tooMany.issues[0]!.file, files[MAX_WORKSHEETS]);
  assert.match(tooMany.issues[0]!.message, new RegExp(`at most ${MAX_WORKSHEETS} worksheets; this one has ${MAX_WORKSHEETS + 1}`));
});

test('nesting that would exhaust the parser\'s stack is refused from the text, before parsing, at its line and column', () => {
  // ~2 KB: the YAML parser recursed ~800 levels deep here and ran out of stack (V8 could abort the process).
  const brackets = `${'['.repeat(988)}1${']'.repeat(988)}`;
  assert.deepEqual(parseWorksheet('b.yaml', brackets).issues.map((i) => [i.line, i.column, i.message]), [[1, WORKSHEET_LIMITS.maxDepth + 1, `nested deeper than ${WORKSHEET_LIMITS.maxDepth} levels`]]);
  const stairs = Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
  assert.deepEqual(parseWorksheet('s.yaml', stairs).issues.map((i) => [i.line, i.column, i.message]), [[WORKSHEET_LIMITS.maxIndent + 2, WORKSHEET_LIMITS.maxIndent + 1, `indented deeper than ${WORKSHEET_LIMITS.maxIndent} columns`]]);
  const dashes = `entries:\n  ${'- '.repeat(150)}x`;
  assert.equal(parseWorksheet('d.yaml', dashes).issues[0]!.message, `indented deeper than ${WORKSHEET_LIMITS.maxIndent} columns`);
});

test('a repeated key among 10,000 keys of one map is reported at its line', () => {
  const keys = `worksheet: w\nentries: []\n${Array.from({ length: 10_000 }, (_, i) => `k${i}: 1\n`).join('')}k7: 2\n`;
  const issues = parseWorksheet('k.yaml', keys).issues;
  assert.deepEqual(issues.map((i) => [i.line, i.column, i.field, i.message]), [[10_003, 1, 'k7', "Map keys must be unique: 'k7' appears again"]]);
});

test('a list or map used as a key is refused at its place (it would become a string and a process warning)', () => {
  const r = parseWorksheet('c.yaml', `worksheet: w\n? [a, b]\n: 1\nentries: []\n`);
  assert.deepEqual(r.issues.map((i) => [i.line, i.column, i.message]), [[2, 3, 'a key must be a plain value (a name), not a list or map']]);
});

test('keys and values from the file are echoed on one bounded, printable line', () => {
  const evil = sheet('evil', [entry('S-EVIL-01')]).replace('    detection: 5\n', `    detection: 5\n    "\\e[2J\\nFAKE: ok${'y'.repeat(5000)}": 1\n`);
  const issues = parseWorksheet('evil.yaml', evil).issues;
  assert.equal(issues.length, 1);
  const line = formatIssue(issues[0]!);
  assert.doesNotMatch(line, /[\u0000-\u001f]/, 'no control characters');
  assert.ok(line.length < 600, `bounded: ${line.length} chars`);
  assert.match(line, /\\x1b\[2J\\nFAKE: ok/);
});

test('a policy file with an alias bomb, over the size bound or too many policies is POLICY_INVALID at file:line:column', () => {
  const bomb = lintPolicyFile(aliasBombPolicyFile(), 'p.yaml');
  assert.deepEqual(bomb.map((i) => [i.line, i.message.replace(/;.*/, '')]), [[4, 'YAML alias *l0 is not accepted in this file']]);
  assert.throws(() => parsePolicyFile(aliasBombPolicyFile(), 'p.yaml'), (e: unknown) => e instanceof FmeaflowError && e.code === 'POLICY_INVALID' && /^p\.yaml:4:\d+ /.test(e.message));

  const big = `version: 1\npolicies: []\n# ${'x'.repeat(POLICY_FILE_LIMITS.maxBytes)}\n`;
  assert.deepEqual(lintPolicyFile(big, 'p.yaml').map((i) => i.message), [`file is over the limit of ${POLICY_FILE_LIMITS.maxBytes} bytes (split it into several files)`]);

  const policy = (i: number) => `  - { name: p${i}, match: ['alertname="x"'], whileRelease: {}, suppressFor: 5m }\n`;
  const many = `version: 1\npolicies:\n${Array.from({ length: 201 }, (_, i) => policy(i)).join('')}`;
  assert.deepEqual(lintPolicyFile(many, 'p.yaml').map((i) => [i.line, i.field, i.message]), [[3, 'policies', 'must NOT have more than 200 items']]);
});

test('an unreadable or non-file rule path is one CLI_BAD_ARGUMENT line, not an fs stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-rules-'));
  const c = await runCli(['rules', 'lint', '/dev/zero']);
  assert.equal(c.code, 2);
  assert.equal(c.err, "fmeaflow: '/dev/zero' is not a regular file; pass a file [CLI_BAD_ARGUMENT]\n");
  // A folder named like a worksheet inside the rules folder is not a worksheet.
  const sub = join(dir, 'nested.yaml');
  mkdirSync(sub);
  writeFileSync(join(dir, 'ok.yaml'), sheet('ok', [entry('S-OK-01')]));
  assert.deepEqual(lintRuleFiles([dir]).files, [join(dir, 'ok.yaml')]);
});
