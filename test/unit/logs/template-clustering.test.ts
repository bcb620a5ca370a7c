import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskLine } from '../../../streams/processors/logs/masking.ts';
import { SlidingTfidf } from '../../../streams/processors/logs/sliding-tfidf.ts';
import { TemplateVectorizer, cosineDistance } from '../../../streams/processors/logs/template-vectorizer.ts';
import { groupVectors, matchClusterIds } from '../../../streams/processors/logs/template-clustering.ts';

const templates = [
  'bcm request timeout on CAN id 0x2A3',
  'battery voltage low 11.2 V',
  'bcm request timed out on CAN id 0x2A3',
  'door lock actuator stalled',
].map((l) => maskLine(l));

function vectors(): number[][] {
  const tf = new SlidingTfidf();
  templates.forEach((t, i) => tf.observe(i, t));
  const v = new TemplateVectorizer();
  return templates.map((t) => v.vector(tf.weights(t)));
}

test('vectors are 128-dimensional and unit length; the projection keeps cosine roughly', () => {
  const vs = vectors();
  for (const v of vs) {
    assert.equal(v.length, 128);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-9);
  }
  // Exact TF-IDF cosine of the paraphrases, by hand: 6 shared tokens with idf ln(5/3)+1, one resp. two own tokens with idf ln(5/2)+1.
  const s = Math.log(5 / 3) + 1;
  const u = Math.log(5 / 2) + 1;
  const exact = 1 - (6 * s * s) / Math.sqrt((6 * s * s + u * u) * (6 * s * s + 2 * u * u));
  assert.ok(Math.abs(cosineDistance(vs[0]!, vs[2]!) - exact) < 0.15, `projected ${cosineDistance(vs[0]!, vs[2]!)} vs exact ${exact}`);
  assert.ok(cosineDistance(vs[0]!, vs[1]!) > 0.6, 'no shared token: near-orthogonal');
});

test('DBSCAN merges the paraphrased timeout templates and keeps unrelated ones apart', () => {
  const groups = groupVectors(vectors(), { method: 'dbscan', epsilon: 0.4, minPoints: 1 });
  assert.deepEqual(groups, [[0, 2], [1], [3]]);
});

test('a tight radius keeps the paraphrases apart; noise points become singletons (minPoints 2)', () => {
  assert.deepEqual(groupVectors(vectors(), { method: 'dbscan', epsilon: 0.05, minPoints: 1 }), [[0], [1], [2], [3]]);
  assert.deepEqual(groupVectors(vectors(), { method: 'dbscan', epsilon: 0.4, minPoints: 2 }), [[0, 2], [1], [3]]);
});

test('k-means alternative with k=3 finds the same grouping', () => {
  assert.deepEqual(groupVectors(vectors(), { method: 'kmeans', k: 3, seed: 7 }), [[0, 2], [1], [3]]);
});

test('cluster ids follow the largest template overlap; fresh ids only for groups without predecessor', () => {
  const previous = new Map<string, number[]>([
    ['p0-c1', [1, 2, 3]],
    ['p0-c2', [4, 5]],
    ['p0-c3', [6]],
  ]);
  // 1,2 stay together (overlap 2 with c1); 3 joins 4,5 (overlap 2 with c2 beats 1 with c1); 7 is brand new; c3 lost its template.
  const m = matchClusterIds([[1, 2], [3, 4, 5], [7], [6, 8]], previous, 4, 'p0-c');
  assert.deepEqual(m.ids, ['p0-c1', 'p0-c2', 'p0-c4', 'p0-c3']);
  assert.deepEqual(m.created, ['p0-c4']);
  assert.deepEqual(m.retired, []);
  assert.equal(m.nextSeq, 5);
  // A merge of two old clusters keeps the id of the larger share; the other is retired.
  const merged = matchClusterIds([[1, 2, 3, 4, 5]], previous, 4, 'p0-c');
  assert.deepEqual(merged.ids, ['p0-c1']);
  assert.deepEqual(merged.retired, ['p0-c2', 'p0-c3']);
  // c2's templates now live in c1; c3's only template (6) is in no group any more, so nothing absorbed it.
  assert.deepEqual([...merged.absorbedBy], [['p0-c2', 'p0-c1']]);
  assert.deepEqual([...m.absorbedBy], [], 'no old cluster vanished in the first case');
});
