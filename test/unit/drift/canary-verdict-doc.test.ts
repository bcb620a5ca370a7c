import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DEFAULT_CANARY_JUDGE, judgeMetric } from '../../../streams/processors/canary/canary-judge.ts';

const schema = JSON.parse(readFileSync('schemas/canary-verdict.avsc', 'utf8')) as { fields: { name: string; doc: string }[] };
const docOf = (name: string): string => schema.fields.find((f) => f.name === name)!.doc;

// A skewed sample whose mean and median differ clearly: 40 fast calls and 20 slow ones.
const canary = [...Array(40).fill(10), ...Array(20).fill(100)];
const baseline = [...Array(40).fill(10), ...Array(20).fill(40)];

test('the verdict reports latency means, and the schema says so', () => {
  const j = judgeMetric('latency', canary, baseline, DEFAULT_CANARY_JUDGE)!;
  assert.equal(j.canaryValue, 40, 'canary value is the mean (the median would be 10)');
  assert.equal(j.baselineValue, 20);
  assert.equal(j.effectSize, 2);
  assert.match(docOf('canaryValue'), /\bmean\b/);
  assert.doesNotMatch(docOf('canaryValue'), /median/);
  assert.match(docOf('effectSize'), /canary mean \/ baseline mean/);
  assert.doesNotMatch(docOf('effectSize'), /median/);
});
