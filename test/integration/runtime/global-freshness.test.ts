/**
 * Read-your-writes across topics: a global-table record produced before an input record
 * must be visible to the processor that handles that input record. Without the runtime's
 * catch-up wait the global reader (its own consumer) races the runner's consumer and the
 * processor sometimes sees no entry. Global records are written in transactions so each
 * is followed by a commit marker the reader never receives as a message. The wait is
 * bounded: a stuck reader makes it give up, counted, instead of stalling the runner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import client from 'prom-client';
import { runWorker } from '../../../streams/runtime/kafka/worker.ts';
import { GlobalTableReader } from '../../../streams/runtime/kafka/global-table-reader.ts';
import type { TopicCodec } from '../../../streams/runtime/kafka/topic-codec.ts';
import type { Processor } from '../../../streams/processors/processor.ts';
import { freshTopics, readAll, testKafka, testProducer, uniqueName, waitFor } from '../../helpers/kafka.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

const ROUNDS = 20;

/** Emits, per input record, the global entry under the same key (or null when the table lacks it). */
function lookup(input: string, output: string, global: string): Processor<never, { timestampMs: number }> {
  return {
    name: 'global-lookup',
    inputTopics: [input],
    outputTopics: [output],
    globalTopics: [global],
    store: 'global-lookup-store',
    allowedLatenessMs: Number.MAX_SAFE_INTEGER,
    eventTimeMs: (v) => v.timestampMs,
    process(_store, record, ctx) {
      const entry = ctx.globals.table<{ tag: string }>(global).get(record.key);
      return { outputs: [{ topic: output, key: record.key, value: { key: record.key, seen: entry?.tag ?? null } }] };
    },
  };
}

test('a global record produced before an input record is visible when that input is processed', async (t) => {
  const [input, output, global, late, dlq] = await freshTopics(t, [{ prefix: 'gf-in', partitions: 2 }, { prefix: 'gf-out' }, { prefix: 'gf-global', compact: true }, { prefix: 'gf-late' }, { prefix: 'gf-dlq' }]);
  const catalog = [
    { name: late!, schema: 'late-record.avsc' },
    { name: dlq!, schema: 'dead-letter.avsc' },
  ];
  // The global topic must hold something at start, or start() has nothing to wait for and the test would not exercise the follower.
  const kafka = testKafka();
  const txProducer = kafka.producer({ transactionalId: uniqueName('gf-tx'), idempotent: true, maxInFlightRequests: 1 });
  await txProducer.connect();
  t.after(() => txProducer.disconnect());
  const writeGlobal = async (key: string, tag: string): Promise<void> => {
    const txn = await txProducer.transaction();
    await txn.send({ topic: global!, messages: [{ key, value: JSON.stringify({ tag }) }] });
    await txn.commit();
  };
  await writeGlobal('warm-up', 'w');
  const producer = await testProducer(t, kafka);
  const w = await runWorker({ app: uniqueName('gfapp'), processors: [lookup(input!, output!, global!)], catalog, lateTopic: late, dlqTopic: dlq, instanceId: 'g1', handleSignals: false, sessionTimeoutMs: 6000 });
  t.after(() => w.stop());

  let committedOutputs = 0;
  w.on('committed', (e: { processor: string; records: number }) => {
    if (e.processor === 'global-lookup') committedOutputs += e.records;
  });
  for (let i = 0; i < ROUNDS; i++) {
    const key = `veh-${i}`;
    await writeGlobal(key, `release-${i}`);
    await producer.send({ topic: input!, acks: -1, messages: [{ key, value: JSON.stringify({ timestampMs: 1_700_000_000_000 + i }) }] });
    // One round at a time, so every round is a fresh race between the two consumers.
    await waitFor(() => committedOutputs >= i + 1, { timeoutMs: 20_000, intervalMs: 5, what: `round ${i} processed` });
  }
  const out = (await readAll(output!)).map((r) => JSON.parse(r.value!.toString()) as { key: string; seen: string | null });
  assert.equal(out.length, ROUNDS);
  // Oracle by construction: round i wrote release-i under veh-i before the input record.
  assert.deepEqual(
    out.map((o) => [o.key, o.seen]).sort(),
    Array.from({ length: ROUNDS }, (_, i) => [`veh-${i}`, `release-${i}`]).sort(),
  );
  const timeouts = (await w.metrics.registry.getSingleMetric('fmeaflow_global_catchup_timeouts_total')?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  assert.equal(timeouts, 0, 'no batch should have proceeded on a timed-out wait');
  await w.stop(); // before the topics are deleted, so the consumers do not chase vanished partitions
});

test('the catch-up wait is bounded: a stuck global reader times out, is counted, and later catches up', async (t) => {
  const [global] = await freshTopics(t, [{ prefix: 'gf-stuck', compact: true }]);
  const kafka = testKafka();
  // A decoder that holds one record until released stands in for a slow global reader.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const codec = {
    async decode(_topic: string, buf: Buffer | null): Promise<unknown> {
      const v = buf === null ? null : (JSON.parse(buf.toString()) as { tag: string });
      if (v?.tag === 'hold') await held;
      return v;
    },
  } as unknown as TopicCodec;
  const producer = await testProducer(t, kafka);
  // Something to load at start, so start() returns only once the reader's consumer is really consuming.
  await producer.send({ topic: global!, acks: -1, messages: [{ key: 'w', value: JSON.stringify({ tag: 'warm-up' }) }] });
  const registry = new client.Registry();
  const reader = new GlobalTableReader(kafka, codec, [global!], registry);
  // try/finally rather than t.after: a failed assertion must not leave the decoder held while the reader stops.
  try {
    await reader.start(30_000);
    assert.deepEqual(reader.tables.table(global!).get('w'), { tag: 'warm-up' });
    await producer.send({ topic: global!, acks: -1, messages: [{ key: 'a', value: JSON.stringify({ tag: 'hold' }) }] });

    assert.equal(await reader.caughtUp([global!], { timeoutMs: 300 }), false, 'reader is stuck, the wait must give up');
    const timeouts = (await registry.getSingleMetric('fmeaflow_global_catchup_timeouts_total')!.get()).values;
    assert.deepEqual(timeouts.map((v) => [v.labels.topic, v.value]), [[global!, 1]]);
    assert.equal(reader.tables.table(global!).get('a'), undefined);

    release();
    assert.equal(await reader.caughtUp([global!], { timeoutMs: 20_000 }), true);
    assert.deepEqual(reader.tables.table(global!).get('a'), { tag: 'hold' });
    // Topics the reader does not follow never wait.
    assert.equal(await reader.caughtUp(['not-a-global-topic'], { timeoutMs: 1 }), true);
  } finally {
    release();
    await reader.stop();
  }
});

test('caughtUp right after a transactional commit waits for the commit marker, so the record is loaded', async (t) => {
  // The broker answers a commit before it writes the marker, so the last stable offset can
  // still stop short of the record for a moment; on the old LSO-based wait about a quarter
  // of these rounds returned before the record was readable.
  const [global] = await freshTopics(t, [{ prefix: 'gf-marker', compact: true }]);
  const kafka = testKafka();
  const txProducer = kafka.producer({ transactionalId: uniqueName('gf-marker-tx'), idempotent: true, maxInFlightRequests: 1 });
  await txProducer.connect();
  t.after(() => txProducer.disconnect());
  const write = async (key: string, tag: string): Promise<void> => {
    const txn = await txProducer.transaction();
    await txn.send({ topic: global!, messages: [{ key, value: JSON.stringify({ tag }) }] });
    await txn.commit();
  };
  await write('warm-up', 'w');
  const codec = { decode: async (_t: string, buf: Buffer | null) => (buf === null ? null : JSON.parse(buf.toString())) } as unknown as TopicCodec;
  const reader = new GlobalTableReader(kafka, codec, [global!], new client.Registry());
  try {
    await reader.start(30_000);
    const missed: number[] = [];
    for (let i = 0; i < 40; i++) {
      await write(`k-${i}`, `v-${i}`);
      assert.equal(await reader.caughtUp([global!], { timeoutMs: 20_000 }), true);
      if ((reader.tables.table(global!).get(`k-${i}`) as { tag?: string } | undefined)?.tag !== `v-${i}`) missed.push(i);
    }
    assert.deepEqual(missed, [], 'rounds whose committed record was not loaded when caughtUp returned');
  } finally {
    await reader.stop();
  }
});
