/**
 * The Kafka runtime against the real broker and registry: poison records go to the DLQ
 * with their offset and code while processing continues; results equal the replay
 * runtime's on the same input; late records go to the late topic; two workers share
 * partitions and one takes over when the other stops.
 */
import { test } from 'node:test';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import avro from 'avsc';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { registryUrl } from '../../../streams/runtime/kafka/connection.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import assert from 'node:assert/strict';
import { runWorker, type Worker } from '../../../streams/runtime/kafka/worker.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { countPerKey } from '../../../streams/processors/testing/count-per-key.ts';
import { windowedCount } from '../../../streams/processors/testing/windowed-count.ts';
import { changelogTopic, repartitionTopic } from '../../../streams/runtime/kafka/internal-topics.ts';
import type { Processor } from '../../../streams/processors/processor.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { freshTopics, produceAll, readAll, testAdmin, testProducer, uniqueName, waitFor, waitForGroupCaughtUp } from '../../helpers/kafka.ts';
import { runtimeApp } from '../../helpers/runtime-app.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

const metric = (vehicleId: string, timestampMs: number) => ({ vehicleId, name: 'speed', labels: {}, kind: 'GAUGE', timestampMs, value: 1, histogram: null, unit: null });

const setup = (t: import('node:test').TestContext, partitions: number) => runtimeApp(t, 'rt', { input: partitions, output: partitions });

function startWorker(t: import('node:test').TestContext, opts: Parameters<typeof runWorker>[0]): Promise<Worker> {
  return runWorker({ handleSignals: false, sessionTimeoutMs: 6000, ...opts }).then((w) => {
    t.after(() => w.stop());
    return w;
  });
}

const plainValues = (recs: { key: Buffer | null; value: Buffer | null }[]) => recs.map((r) => ({ key: r.key!.toString(), value: JSON.parse(r.value!.toString()) }));

test('poison records go to the DLQ with offset and code; everything else is counted exactly once and equals replay', async (t) => {
  const s = await setup(t, 3);
  const producer = await testProducer(t);
  const keys = Array.from({ length: 20 }, (_, i) => `veh-${i}`);
  const input: ReplayRecord[] = [];
  const wire: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < 3000; i++) {
    const key = i === 1234 ? 'poison' : keys[i % keys.length]!;
    const v = metric(key, 1_700_000_000_000 + i);
    input.push({ topic: s.input, key, value: v });
    wire.push({ key, value: s.serde.encodeSync(s.input, v) });
  }
  // A record that is not Avro at all, in the middle of key veh-3's stream.
  wire.splice(2000, 0, { key: 'veh-3', value: Buffer.from('{"not":"avro"}') });
  await produceAll(producer, s.input, wire);

  const p = countPerKey({ input: s.input, output: s.output, failOnKey: 'poison' });
  const w = await startWorker(t, { app: s.app, processors: [p], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'w1' });
  const admin = await testAdmin(t);
  await waitForGroupCaughtUp(admin, `${s.app}-${p.name}`, s.input);
  await w.stop();

  const out = plainValues(await readAll(s.output));
  // Oracle by construction: each key's outputs are exactly 1..n_k, n_k = its valid records.
  for (const k of keys) {
    const n = input.filter((r) => r.key === k).length;
    assert.deepEqual(out.filter((o) => o.key === k).map((o) => o.value.count), Array.from({ length: n }, (_, i) => i + 1), `counts of ${k}`);
  }
  // Same outputs, per key in order, as the replay runtime.
  const r = replay([p], input, { partitions: { [s.input]: 3 }, lateTopic: s.late, dlqTopic: s.dlq });
  const byKey = (xs: { key: string; value: unknown }[]) => Object.fromEntries(keys.map((k) => [k, xs.filter((x) => x.key === k).map((x) => x.value)]));
  assert.deepEqual(byKey(out), byKey(r.outputs[s.output]!.map((o) => ({ key: o.key, value: o.value }))));

  const dead = await Promise.all((await readAll(s.dlq)).map(async (d) => ({ ...(await s.serde.decode(s.dlq, d.value!)) as Record<string, unknown> })));
  assert.equal(dead.length, 2);
  const byCode = Object.fromEntries(dead.map((d) => [d.errorCode as string, d]));
  const bad = byCode[ErrorCodes.BAD_MAGIC_BYTE]!;
  const thrown = byCode[ErrorCodes.PROCESSOR_FAILED]!;
  assert.ok(bad && thrown, `codes: ${dead.map((d) => d.errorCode).join(', ')}`);
  assert.deepEqual(bad.rawValue, Buffer.from('{"not":"avro"}'));
  assert.equal(bad.sourceTopic, s.input);
  // Its offset is where the raw record really sits in the input topic.
  const raw = (await readAll(s.input)).find((m) => m.value?.equals(Buffer.from('{"not":"avro"}')));
  assert.equal(String(bad.sourceOffset), raw!.offset);
  assert.equal(bad.sourcePartition, raw!.partition);
  assert.equal(thrown.processor, p.name);
  assert.match(String(thrown.errorMessage), /poison/);
  const metricsText = await w.metrics.registry.metrics();
  assert.match(metricsText, /fmeaflow_dlq_total\{processor="count-per-key",code="SERDE_BAD_MAGIC_BYTE"\} 1/);
});

test('late and out-of-order records: right windows or the late topic, same as replay', async (t) => {
  const s = await setup(t, 1);
  const producer = await testProducer(t);
  const times = [1000, 12_000, 9000, 16_000, 8000, 11_000, 26_000];
  await produceAll(producer, s.input, times.map((ts) => ({ key: 'a', value: s.serde.encodeSync(s.input, metric('a', ts)) })));
  const p = windowedCount({ input: s.input, output: s.output, windowMs: 10_000, allowedLatenessMs: 5_000 });
  const w = await startWorker(t, { app: s.app, processors: [p], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'w1' });
  const admin = await testAdmin(t);
  await waitForGroupCaughtUp(admin, `${s.app}-${p.name}`, s.input);
  await w.stop();
  // Hand-derived (see test/unit/runtime/replay.test.ts): [0,10s) has 1000+9000, [10s,20s) has 12000+16000+11000; 8000 is late.
  assert.deepEqual(plainValues(await readAll(s.output)).map((o) => o.value), [
    { key: 'a', startMs: 0, endMs: 10_000, count: 2 },
    { key: 'a', startMs: 10_000, endMs: 20_000, count: 3 },
  ]);
  const late = await Promise.all((await readAll(s.late)).map(async (l) => (await s.serde.decode(s.late, l.value!)) as Record<string, unknown>));
  assert.equal(late.length, 1);
  assert.equal(late[0]!.eventTimeMs, 8000);
  assert.equal(late[0]!.watermarkMs, 11_000);
  assert.equal(late[0]!.sourceOffset, 4);
  const r = replay([p], times.map((ts) => ({ topic: s.input, key: 'a', value: metric('a', ts) })), { lateTopic: s.late });
  assert.deepEqual(r.outputs[s.output]!.map((o) => o.value), plainValues(await readAll(s.output)).map((o) => o.value));
});

test('scale-out: two workers share partitions; when one stops the other restores its state and finishes', async (t) => {
  const s = await setup(t, 4);
  const producer = await testProducer(t);
  const keys = Array.from({ length: 40 }, (_, i) => `veh-${i}`);
  const first = Array.from({ length: 4000 }, (_, i) => keys[i % keys.length]!);
  const second = Array.from({ length: 4000 }, (_, i) => keys[(i * 7) % keys.length]!);
  const p = countPerKey({ input: s.input, output: s.output });
  const a = await startWorker(t, { app: s.app, processors: [p], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'a' });
  const b = await startWorker(t, { app: s.app, processors: [p], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'b' });
  const seenBy = { a: new Set<number>(), b: new Set<number>() };
  a.on('committed', (e: { partition: number; records: number }) => e.records > 0 && seenBy.a.add(e.partition));
  b.on('committed', (e: { partition: number; records: number }) => e.records > 0 && seenBy.b.add(e.partition));
  await produceAll(producer, s.input, first.map((k, i) => ({ key: k, value: s.serde.encodeSync(s.input, metric(k, i)) })));
  const admin = await testAdmin(t);
  await waitForGroupCaughtUp(admin, `${s.app}-${p.name}`, s.input);
  assert.ok(seenBy.a.size > 0 && seenBy.b.size > 0, `both workers processed partitions (a: ${[...seenBy.a]}, b: ${[...seenBy.b]})`);
  const restored: { partitions: number[] }[] = [];
  b.on('restored', (e: { partitions: number[] }) => restored.push(e));
  await a.stop();
  await produceAll(producer, s.input, second.map((k, i) => ({ key: k, value: s.serde.encodeSync(s.input, metric(k, 10_000 + i)) })));
  await waitForGroupCaughtUp(admin, `${s.app}-${p.name}`, s.input);
  await waitFor(() => restored.some((r) => r.partitions.some((x) => seenBy.a.has(x))), { what: 'b to restore a partition a had' });
  await b.stop();
  // The restore readers' throwaway groups are gone: only the processor's own group stays on the broker.
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(s.app));
  assert.deepEqual(groups, [`${s.app}-${p.name}`], 'no restore group is left behind');

  const out = plainValues(await readAll(s.output));
  for (const k of keys) {
    const n = first.filter((x) => x === k).length + second.filter((x) => x === k).length;
    assert.deepEqual(out.filter((o) => o.key === k).map((o) => o.value.count), Array.from({ length: n }, (_, i) => i + 1), `counts of ${k}`);
  }
  // The changelog (read_committed) holds the final count per key, like a single uninterrupted run.
  const state = new Map<string, number>();
  for (const c of await readAll(changelogTopic(s.app, p.store))) if (!c.key!.toString().startsWith('\u0000')) state.set(c.key!.toString(), JSON.parse(c.value!.toString()));
  const single = replay([p], [...first, ...second].map((k, i) => ({ topic: s.input, key: k, value: metric(k, i) })), { partitions: { [s.input]: 4 } });
  const singleState = new Map(Object.values(single.finalState[p.name]!).flatMap((m) => Object.entries(m)) as [string, number][]);
  assert.deepEqual(new Map([...state].sort()), new Map([...singleState].sort()));
});

test('repartition topic, global table, traceparent propagation and /metrics', async (t) => {
  const s = await setup(t, 2);
  const [releases] = await freshTopics(t, [{ prefix: 'rt-releases', compact: true }]);
  const catalog = [...s.catalog, { name: releases!, schema: 'release-event.avsc' }];
  await s.serde.registerAll(catalog);
  const producer = await testProducer(t);
  const rel = (version: string) => ({ releaseId: 'r1', service: 'adas', version, baselineVersion: null, phase: 'START', trafficPercent: 5, cohort: 'canary', cohortVehicleIds: [], timestampMs: 1 });
  await produceAll(producer, releases!, [{ key: 'r1', value: s.serde.encodeSync(releases!, rel('1.0')) }, { key: 'r1', value: s.serde.encodeSync(releases!, rel('1.1')) }]);
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const keys = ['a', 'b', 'c', 'd', 'e'];
  const seq = Array.from({ length: 200 }, (_, i) => keys[(i * 3) % 5]!);
  await produceAll(producer, s.input, seq.map((k, i) => ({ key: k, value: s.serde.encodeSync(s.input, metric(k, i)), headers: { traceparent } })));

  const rep = repartitionTopic(s.app, 'by-key');
  const first = countPerKey({ name: 'first', input: s.input, output: rep });
  const enrich: Processor<number, { key: string; count: number }> = {
    name: 'enrich',
    inputTopics: [rep],
    outputTopics: [s.output],
    store: 'enrich-store',
    globalTopics: [releases!],
    allowedLatenessMs: Number.MAX_SAFE_INTEGER,
    eventTimeMs: (v) => v.count,
    process(_store, rec, ctx) {
      const r = ctx.globals.table<{ version: string }>(releases!).get('r1');
      return { outputs: [{ topic: s.output, key: rec.key, value: { key: rec.key, count: rec.value.count, version: r?.version ?? null } }] };
    },
  };
  const w = await startWorker(t, { app: s.app, processors: [first, enrich], catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'w1', repartitionPartitions: 3, metricsPort: 0 });
  let enriched = 0;
  w.on('committed', (e: { processor: string; records: number }) => {
    if (e.processor === 'enrich') enriched += e.records;
  });
  const admin = await testAdmin(t);
  await waitForGroupCaughtUp(admin, `${s.app}-first`, s.input);
  // The repartition topic is transactional: its end offset sits after a commit marker no consumer ever
  // commits past, so wait for the records instead.
  await waitFor(() => enriched >= 200, { what: 'enrich to process 200 repartitioned records' });
  const md = await admin.fetchTopicMetadata({ topics: [rep] });
  assert.equal(md.topics[0]!.partitions.length, 3, 'repartition topic created with the requested partitions');

  const res = await fetch(`http://127.0.0.1:${w.metricsPort}/metrics`);
  const text = await res.text();
  assert.equal(res.status, 200);
  assert.match(text, new RegExp(`fmeaflow_records_in_total\\{processor="first",topic="${s.input}"\\} 200`));
  assert.match(text, /fmeaflow_transactions_committed_total\{processor="enrich"\} \d+/);
  await w.stop();

  const out = await readAll(s.output);
  assert.equal(out.length, 200);
  for (const k of keys) {
    const vals = out.filter((o) => o.key!.toString() === k).map((o) => JSON.parse(o.value!.toString()) as { count: number; version: string });
    assert.deepEqual(vals.map((v) => v.count), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.ok(vals.every((v) => v.version === '1.1'), 'the global table holds the latest release event');
  }
  assert.ok(out.every((o) => o.headers.traceparent === traceparent), 'traceparent carried through both hops');
});

test('an unreachable broker fails fast with a typed error naming it and the fix', async () => {
  await assert.rejects(
    runWorker({ app: uniqueName('down'), processors: [countPerKey({ input: 'x', output: 'y' })], brokers: ['127.0.0.1:1'], handleSignals: false }),
    (e: unknown) => {
      assert.ok(e instanceof Error && (e as { code?: string }).code === ErrorCodes.BROKER_UNREACHABLE && /127\.0\.0\.1:1/.test(e.message) && /stack up/.test(e.message), String(e));
      // Fast means one retry before giving up, not kafkajs' ladder (8 retries, ~40 s of backoff); counted, not timed.
      const cause = (e as { cause?: { name?: string; retryCount?: number } }).cause;
      assert.equal(cause?.name, 'KafkaJSNumberOfRetriesExceeded');
      assert.ok((cause.retryCount ?? Infinity) <= 1, `gave up after ${cause.retryCount} retries`);
      return true;
    },
  );
});

test('at-least-once mode counts correctly without a crash; wall-clock timers fire on an idle partition', async (t) => {
  const s = await setup(t, 2);
  const producer = await testProducer(t);
  const keys = ['p', 'q', 'r'];
  const seq = Array.from({ length: 600 }, (_, i) => keys[i % 3]!);
  await produceAll(producer, s.input, seq.map((k, i) => ({ key: k, value: s.serde.encodeSync(s.input, metric(k, i)) })));
  const base = countPerKey({ input: s.input, output: s.output });
  // After each record, (re)arm a wall-clock timer 300 ms ahead; it fires only once the input goes idle.
  const idle: Processor<number, Record<string, unknown>> = {
    ...base,
    process(store, rec, ctx) {
      const r = base.process(store, rec, ctx);
      return { ...r, timers: [{ kind: 'wall-clock', id: `idle-${rec.key}`, atMs: ctx.nowMs + 300, payload: { key: rec.key } }] };
    },
    onTimer(store, timer) {
      const key = String(timer.payload?.key);
      return { outputs: [{ topic: s.output, key, value: { key, count: -(store.get(key) ?? 0) } }] };
    },
  };
  const w = await startWorker(t, { app: s.app, processors: [idle], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'w1', mode: 'at-least-once', wallClockTickMs: 100 });
  const admin = await testAdmin(t);
  await waitForGroupCaughtUp(admin, `${s.app}-${idle.name}`, s.input);
  await waitFor(async () => (await readAll(s.output)).length >= 603, { what: 'one idle-timer output per key' });
  await w.stop();
  const out = plainValues(await readAll(s.output));
  for (const k of keys) {
    const vals = out.filter((o) => o.key === k).map((o) => o.value.count);
    assert.deepEqual(vals, [...Array.from({ length: 200 }, (_, i) => i + 1), -200], `key ${k}: 1..200, then the idle timer with the final count`);
  }
});

/** A TCP relay to the real registry that the test can cut and restore (a network fault, not a registry). */
async function registryRelay(t: import('node:test').TestContext): Promise<{ url: string; cut(): void; restore(): void }> {
  const target = new URL(registryUrl());
  const open = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return void client.destroy();
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { for (const s of open) s.destroy(); server.close(() => r()); }));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    cut() { down = true; for (const s of open) s.destroy(); },
    restore() { down = false; },
  };
}

test('a registry outage is retried, not dead-lettered: records written with a schema the worker has not seen wait and are then counted once', async (t) => {
  const s = await setup(t, 1);
  const relay = await registryRelay(t);
  const p = countPerKey({ input: s.input, output: s.output });
  const w = await startWorker(t, { app: s.app, processors: [p], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'w1', registryUrl: relay.url });
  // A producer that moved to a newer, compatible version of the metric schema: the worker must fetch the new id.
  const base = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'schemas', 'metric.avsc'), 'utf8')) as { fields: unknown[] };
  const evolved = { ...base, fields: [...base.fields, { name: 'firmware', type: ['null', 'string'], default: null, doc: 'test-only field' }] };
  const { id } = await new SchemaRegistry({ host: registryUrl() }).register({ type: SchemaType.AVRO, schema: JSON.stringify(evolved) }, { subject: `${s.input}-value` });
  const type = avro.Type.forSchema(evolved as avro.Schema);
  const frame = (v: unknown) => { const h = Buffer.alloc(5); h.writeUInt32BE(id, 1); return Buffer.concat([h, type.toBuffer(v)]); };
  relay.cut();
  const producer = await testProducer(t);
  const keys = ['veh-a', 'veh-b', 'veh-c'];
  const wire = Array.from({ length: 300 }, (_, i) => ({ key: keys[i % 3]!, value: frame({ ...metric(keys[i % 3]!, 1_700_000_000_000 + i), firmware: '2.1.0' }) }));
  await produceAll(producer, s.input, wire);
  // The worker sees the outage as an aborted batch (the event we wait for), then the registry comes back.
  await waitFor(async () => /fmeaflow_transactions_aborted_total\{processor="count-per-key",reason="REGISTRY_UNREACHABLE"\} [1-9]/.test(await w.metrics.registry.metrics()), { timeoutMs: 30_000, what: 'an abort on the unreachable registry' });
  relay.restore();
  const admin = await testAdmin(t);
  await waitForGroupCaughtUp(admin, `${s.app}-${p.name}`, s.input);
  await w.stop();
  const out = plainValues(await readAll(s.output));
  for (const k of keys) assert.deepEqual(out.filter((o) => o.key === k).map((o) => o.value.count), Array.from({ length: 100 }, (_, i) => i + 1), `counts of ${k}`);
  assert.equal((await readAll(s.dlq)).length, 0, 'no good record went to the DLQ');
});

test('transactions are fenced per input partition: two workers with the same instance id share partitions and still count exactly once', async (t) => {
  // Transactional ids follow the partition, not the process: the partition's next owner fences its previous one, and
  // two processes that happen to share a host name (the default instance id) do not fence each other.
  const s = await setup(t, 4);
  const producer = await testProducer(t);
  const keys = Array.from({ length: 40 }, (_, i) => `veh-${i}`);
  const input = Array.from({ length: 6000 }, (_, i) => keys[(i * 3) % keys.length]!);
  const p = countPerKey({ input: s.input, output: s.output });
  const a = await startWorker(t, { app: s.app, processors: [p], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'same-host' });
  const b = await startWorker(t, { app: s.app, processors: [p], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'same-host' });
  const seenBy = { a: new Set<number>(), b: new Set<number>() };
  a.on('committed', (e: { partition: number; records: number }) => e.records > 0 && seenBy.a.add(e.partition));
  b.on('committed', (e: { partition: number; records: number }) => e.records > 0 && seenBy.b.add(e.partition));
  await produceAll(producer, s.input, input.map((k, i) => ({ key: k, value: s.serde.encodeSync(s.input, metric(k, i)) })));
  const admin = await testAdmin(t);
  await waitForGroupCaughtUp(admin, `${s.app}-${p.name}`, s.input);
  await Promise.all([a.stop(), b.stop()]);
  assert.ok(seenBy.a.size > 0 && seenBy.b.size > 0, `both workers committed (a: ${[...seenBy.a]}, b: ${[...seenBy.b]})`);
  const out = plainValues(await readAll(s.output));
  for (const k of keys) {
    const n = input.filter((x) => x === k).length;
    assert.deepEqual(out.filter((o) => o.key === k).map((o) => o.value.count), Array.from({ length: n }, (_, i) => i + 1), `counts of ${k}`);
  }
});
