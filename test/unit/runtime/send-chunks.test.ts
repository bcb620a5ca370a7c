/** Transaction send chunking: bounded chunks, order kept, and never a topic twice in one chunk (kafkajs would drop one). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunked } from '../../../streams/runtime/kafka/processor-runner.ts';

test('chunks are bounded, keep order, and name each topic at most once', () => {
  const mk = (topic: string, n: number) => ({ topic, messages: Array.from({ length: n }, (_, i) => ({ key: topic, value: String(i) })) });
  const input = [mk('a', 1203), mk('b', 7), mk('c', 499), mk('d', 1)];
  const chunks = chunked(input, 500);
  for (const c of chunks) {
    assert.ok(c.reduce((n, t) => n + t.messages.length, 0) <= 500);
    assert.equal(new Set(c.map((t) => t.topic)).size, c.length, 'a topic appears once per chunk');
  }
  for (const t of input) {
    const back = chunks.flat().filter((x) => x.topic === t.topic).flatMap((x) => x.messages.map((m) => m.value));
    assert.deepEqual(back, t.messages.map((m) => m.value));
  }
  // 1203 + 7 + 499 + 1 = 1710 messages → ceil(1710 / 500) = 4 chunks
  assert.equal(chunks.length, 4);
  assert.deepEqual(chunked([], 500), []);
});
