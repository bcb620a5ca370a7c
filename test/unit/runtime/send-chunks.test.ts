/** Send chunking: bounded by count and by bytes, order kept, and never a topic twice in one chunk (kafkajs would drop one). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopicMessages } from 'kafkajs';
import { chunked, messageBytes } from '../../../streams/runtime/kafka/send-chunks.ts';

const mk = (topic: string, n: number, size = 1): TopicMessages => ({ topic, messages: Array.from({ length: n }, (_, i) => ({ key: topic, value: `${i}`.padEnd(size, '.') })) });

function assertOrderAndTopics(input: TopicMessages[], chunks: TopicMessages[][]): void {
  for (const c of chunks) assert.equal(new Set(c.map((t) => t.topic)).size, c.length, 'a topic appears once per chunk');
  for (const t of input) {
    const back = chunks.flat().filter((x) => x.topic === t.topic).flatMap((x) => x.messages.map((m) => m.value));
    assert.deepEqual(back, t.messages.map((m) => m.value), `order of ${t.topic}`);
  }
}

test('chunks are bounded by count, keep order, and name each topic at most once', () => {
  const input = [mk('a', 1203), mk('b', 7), mk('c', 499), mk('d', 1)];
  const chunks = chunked(input, { messages: 500, bytes: Number.MAX_SAFE_INTEGER });
  for (const c of chunks) assert.ok(c.reduce((n, t) => n + t.messages.length, 0) <= 500);
  assertOrderAndTopics(input, chunks);
  // 1203 + 7 + 499 + 1 = 1710 messages → ceil(1710 / 500) = 4 chunks
  assert.equal(chunks.length, 4);
  assert.deepEqual(chunked([], { messages: 500, bytes: 1000 }), []);
});

test('chunks are bounded by bytes: 500 records of 5 KB never go out as one 2.5 MB call', () => {
  const input = [mk('out', 500, 5000), mk('changelog', 3, 300_000)];
  const limit = 512 * 1024;
  const chunks = chunked(input, { messages: 500, bytes: limit });
  for (const c of chunks) {
    const bytes = c.flatMap((t) => t.messages).reduce((n, m) => n + messageBytes(m), 0);
    assert.ok(bytes <= limit, `chunk of ${bytes} bytes`);
  }
  assertOrderAndTopics(input, chunks);
  // 500 × ~5 KB = ~2.5 MB → at least 5 chunks; each 300 KB changelog record fits once per 512 KiB.
  assert.ok(chunks.length >= 5 + 1, `${chunks.length} chunks`);
});

test('a record larger than the byte bound goes alone, never merged with others', () => {
  const input = [mk('a', 2, 10), { topic: 'b', messages: [{ key: 'k', value: 'x'.repeat(2000) }] }, mk('c', 2, 10)];
  const chunks = chunked(input, { messages: 500, bytes: 1000 });
  const alone = chunks.find((c) => c.some((t) => t.topic === 'b'))!;
  assert.deepEqual(alone.map((t) => [t.topic, t.messages.length]), [['b', 1]]);
  assertOrderAndTopics(input, chunks);
});

test('messageBytes counts key, value and headers', () => {
  const base = messageBytes({ key: 'k', value: null });
  assert.equal(messageBytes({ key: 'k', value: Buffer.alloc(1000) }) - base, 1000);
  assert.ok(messageBytes({ key: 'k', value: null, headers: { traceparent: 'x'.repeat(55) } }) - base >= 55 + 'traceparent'.length);
  // UTF-8 bytes, not UTF-16 code units.
  assert.equal(messageBytes({ key: 'k', value: 'é'.repeat(10) }) - base, 20);
});
