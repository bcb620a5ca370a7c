import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlidingTfidf } from '../../../streams/processors/logs/sliding-tfidf.ts';

test('weights follow tf × smoothed idf, L2-normalised (hand computed)', () => {
  const t = new SlidingTfidf({ windowSize: 10 });
  t.observe(1, ['door', 'open']);
  t.observe(2, ['door', 'closed']);
  // N = 2; idf(door) = ln(3/3)+1 = 1; idf(open) = ln(3/2)+1.
  const w = t.weights(['door', 'open', '<*>']);
  const a = 1;
  const b = Math.log(3 / 2) + 1;
  const n = Math.hypot(a, b);
  assert.equal(w.size, 2, 'the wildcard carries no weight');
  assert.ok(Math.abs(w.get('door')! - a / n) < 1e-12);
  assert.ok(Math.abs(w.get('open')! - b / n) < 1e-12);
});

test('the vocabulary slides: templates leaving the window take their tokens along', () => {
  const t = new SlidingTfidf({ windowSize: 3 });
  for (let i = 0; i < 100; i++) t.observe(i, [`only${i}`, 'shared']);
  assert.equal(t.documentCount, 3);
  assert.equal(t.vocabularySize, 4, 'three unique tokens of the last three templates plus "shared"');
  assert.equal(t.documentFrequency('shared'), 3);
  assert.equal(t.documentFrequency('only0'), 0);
  assert.deepEqual(t.documentIds(), [97, 98, 99]);
});

test('re-observing a template refreshes it instead of counting it twice', () => {
  const t = new SlidingTfidf({ windowSize: 2 });
  t.observe(1, ['a']);
  t.observe(2, ['b']);
  t.observe(1, ['a', 'c']);
  t.observe(3, ['d']);
  assert.deepEqual(t.documentIds(), [1, 3], 'template 2 was the oldest after 1 was refreshed');
  assert.equal(t.documentFrequency('a'), 1);
});

test('the hard vocabulary cap drops and counts new tokens', () => {
  const t = new SlidingTfidf({ windowSize: 100, maxVocabulary: 5 });
  for (let i = 0; i < 10; i++) t.observe(i, [`tok${i}`]);
  assert.equal(t.vocabularySize, 5);
  assert.equal(t.droppedTokens, 5);
});

test('snapshot and restore give the same weights', () => {
  const t = new SlidingTfidf({ windowSize: 4 });
  for (let i = 0; i < 9; i++) t.observe(i % 5, [`x${i % 3}`, `y${i % 4}`]);
  const r = SlidingTfidf.restore(JSON.parse(JSON.stringify(t.snapshot())), { windowSize: 4 });
  assert.deepEqual([...r.weights(['x1', 'y2', 'y3'])], [...t.weights(['x1', 'y2', 'y3'])]);
});
