/**
 * Fuzz of the rule and policy file tools with generated and mutated YAML files (seeded; the
 * seed is printed, FUZZ_SEED=<seed> replays a run). `rules lint` and `policies lint` run in a
 * child process under a 256 MB heap cap: every file ends in success or located issues and
 * exit 1, or one `fmeaflow: … [CODE]` line; never a stack trace, never a control character
 * on the terminal, never a heap abort. `rules publish` to a fresh topic on the real broker
 * either publishes (and the records are on the topic) or fails with one line and a code.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FmeaflowError } from '../../../streams/errors.ts';
import { publishRuleFiles } from '../../../streams/fmea/publish.ts';
import { WORKSHEET_LIMITS } from '../../../streams/processors/fmea/worksheet-parser.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import type { CliRun } from '../../helpers/cli.ts';
import { freshTopics, readAll } from '../../helpers/kafka.ts';
import { fuzzCorpus } from '../../helpers/yaml-fuzz-corpus.ts';
import { fuzzSeeds } from '../../helpers/yaml-fuzz-seeds.ts';

const SEED = process.env.FUZZ_SEED ?? String(Math.floor(Math.random() * 1e9));
const HEAP_MB = 256;

interface CaseRun extends CliRun {
  readonly name: string;
  readonly bytes: number;
  readonly file: string;
  readonly ms: number;
}

/** Runs the child over `count` cases of `kind`; resolves with its exit code and one result per case. */
function fuzzLint(kind: 'rules' | 'policies', count: number): Promise<{ exit: number | null; signal: string | null; cases: CaseRun[]; stderr: string }> {
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', 'tsx', join('test', 'helpers', 'yaml-fuzz-child.ts'), kind, SEED, String(count)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  return new Promise((resolve) => child.on('close', (exit, signal) => resolve({ exit, signal, stderr, cases: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CaseRun) })));
}

const ISSUE_LINE = /^.+:\d+:\d+:? (?:(?:error|warning) )?\([^\n]*\): [^\n]+$/;
const SUMMARY_LINE = /^(?:\d+ file\(s\), \d+ entr(?:y|ies), \d+ error\(s\), \d+ warning\(s\)|\d+ error\(s\))$/;
const ONE_ERROR_LINE = /^fmeaflow: [^\n]+ \[[A-Z_]+\]\n$/;
// Anything but the line feed that ends each line: a control character would act on the terminal.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function checkLint(kind: 'rules' | 'policies', r: Awaited<ReturnType<typeof fuzzLint>>, count: number): void {
  const where = (c: CaseRun) => `${kind} ${c.name} (seed ${SEED}): ${JSON.stringify({ code: c.code, out: c.out.slice(0, 400), err: c.err.slice(0, 400) })}`;
  assert.equal(r.cases.length, count, `the child stopped after ${r.cases.at(-1)?.name ?? 'no case'} (exit ${r.exit}, ${r.signal ?? 'no signal'}): ${r.stderr.slice(-600)}`);
  assert.equal(r.exit, 0);
  assert.equal(r.stderr, '', 'nothing reaches the terminal besides what each command printed (no process warnings)');
  for (const c of r.cases) {
    assert.ok([0, 1, 2].includes(c.code), where(c));
    assert.doesNotMatch(c.out + c.err, /\n\s+at /, `no stack trace: ${where(c)}`);
    assert.doesNotMatch(c.out + c.err, CONTROL, `no control character: ${where(c)}`);
    assert.doesNotMatch(c.out, /could not be read/, `no unforeseen exception behind an issue: ${where(c)}`);
    if (c.err !== '') assert.match(c.err, ONE_ERROR_LINE, where(c));
    const lines = c.out.split('\n').filter(Boolean);
    for (const l of lines) assert.ok(ISSUE_LINE.test(l) || SUMMARY_LINE.test(l), `unexpected output line ${JSON.stringify(l.slice(0, 200))}: ${where(c)}`);
    // A failure says where (an issue line) or why (the one error line); success prints no issue.
    if (c.code !== 0) assert.ok(c.err !== '' || lines.some((l) => ISSUE_LINE.test(l) && / error \(|^[^ ]+:\d+:\d+ \(/.test(l)), `a failure names its place: ${where(c)}`);
    else assert.equal(c.err, '', where(c));
  }
}

test(`rules lint on generated and mutated worksheets (seed ${SEED}): success or located issues, one line per error, bounded heap`, { timeout: 600_000 }, async (t) => {
  t.diagnostic(`seed ${SEED} (FUZZ_SEED=${SEED} replays it)`);
  const r = await fuzzLint('rules', 250);
  checkLint('rules', r, 250);
  // The first case also loads every command module; it says nothing about the file.
  const slowest = r.cases.slice(1).sort((a, b) => b.ms - a.ms)[0]!;
  t.diagnostic(`${r.cases.filter((c) => c.code === 0).length} of ${r.cases.length} files linted clean; slowest after the first ${slowest.name} (${slowest.bytes} bytes) ${slowest.ms.toFixed(0)} ms under a ${HEAP_MB} MB heap`);
});

test(`policies lint on generated and mutated policy files (seed ${SEED}): success or located issues, bounded heap`, { timeout: 600_000 }, async (t) => {
  const r = await fuzzLint('policies', 100);
  checkLint('policies', r, 100);
  t.diagnostic(`${r.cases.filter((c) => c.code === 0).length} of ${r.cases.length} policy files linted clean`);
});

test(`rules publish of generated and mutated worksheets (seed ${SEED}): published and on the topic, or one line with a code`, { timeout: 600_000 }, async (t) => {
  const [topic] = await freshTopics(t, [{ prefix: 'rules-fuzz', compact: true }]);
  const dir = mkdtempSync(join(tmpdir(), 'rules-fuzz-publish-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const published: string[] = [];
  let refused = 0;
  // The real files first (the clean ones publish), then their mutations and generated documents.
  const seeds = fuzzSeeds('rules');
  const cases = [...[...seeds].map(([name, text]) => ({ name, text })), ...fuzzCorpus(`${SEED}/publish`, seeds, 30, WORKSHEET_LIMITS.maxBytes)];
  for (const c of cases) {
    const file = join(dir, 'case.yaml');
    writeFileSync(file, c.text);
    try {
      const r = await publishRuleFiles([file], { topic: topic!, publishedBy: c.name });
      published.push(...r.worksheets);
    } catch (e) {
      assert.ok(e instanceof FmeaflowError, `${c.name} (seed ${SEED}): not a typed error: ${String(e)}`);
      assert.ok(['RULE_INVALID', 'CLI_BAD_ARGUMENT'].includes(e.code), `${c.name} (seed ${SEED}): ${e.code}: ${e.message}`);
      assert.doesNotMatch(e.message, /\n/, `${c.name} (seed ${SEED}): one line`);
      assert.doesNotMatch(e.message, CONTROL, `${c.name} (seed ${SEED}): printable`);
      refused++;
    }
  }
  const records = await readAll(topic!, { timeoutMs: 20_000 });
  assert.deepEqual(records.map((r) => r.key!.toString()), published, 'every successful publish is on the topic, nothing else');
  t.diagnostic(`${published.length} published, ${refused} refused`);
});
