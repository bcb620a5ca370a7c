/**
 * Runtime throughput, restore and latency benchmark (real broker + registry).
 *
 *   npx tsx --expose-gc bench/runtime-throughput.ts [--records 200000] [--restore-keys 1000000] [--rate 2000]
 *
 * In one run, on one 4-partition topic of Avro metric records:
 *  1. Kafka's own ConsumerPerformance (Java) — the reference consumer ceiling;
 *  2. a plain kafkajs consumer (eachBatch, no processing) — the client ceiling;
 *  3. fmeaflow count-per-key, exactly-once; 4. the same, at-least-once.
 * Then restore time and heap for a changelog of N keys, and end-to-end latency
 * percentiles (input append → committed output visible to read_committed) at a fixed rate.
 * Writes bench/results/runtime.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createKafka } from '../streams/runtime/kafka/client.ts';
import { brokers } from '../streams/runtime/kafka/connection.ts';
import { createSerde } from '../streams/runtime/serde/serde.ts';
import { runWorker, type CommitEvent } from '../streams/runtime/kafka/worker.ts';
import { countPerKey } from '../streams/processors/testing/count-per-key.ts';
import { changelogTopic } from '../streams/runtime/kafka/internal-topics.ts';
import { randomBytes } from 'node:crypto';
import { stackPaths } from '../streams/runtime/stack/stack-config.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'error';
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('records', 200_000);
const RESTORE_KEYS = arg('restore-keys', 1_000_000);
const RATE = arg('rate', 2000);
const LAT_SECONDS = arg('latency-seconds', 10);
const REPEAT = arg('repeat', 3);
let run = 0;
const PARTITIONS = 4;
const KEYS = 10_000;
const id = randomBytes(4).toString('hex');
const kafka = createKafka(`bench-${id}`);
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const serde = createSerde();
const lines: string[] = [];
const say = (s: string): void => {
  console.log(s);
  lines.push(s);
};

const metric = (key: string, t: number) => ({ vehicleId: key, name: 'speed', labels: { ecu: 'abs' }, kind: 'GAUGE', timestampMs: t, value: 42.5, histogram: null, unit: 'km/h' });

async function createTopics(specs: { topic: string; partitions: number; compact?: boolean }[]): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: specs.map((s) => ({ topic: s.topic, numPartitions: s.partitions, replicationFactor: 1, configEntries: s.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [] })) });
}

async function produce(topic: string, n: number, make: (i: number) => { key: string; value: Buffer | null; partition?: number }, chunk = 5000): Promise<void> {
  for (let i = 0; i < n; i += chunk) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + chunk); j++) messages.push(make(j));
    await producer.send({ topic, acks: -1, messages });
  }
}

/** The local stack's Kafka libraries (FMEAFLOW_CACHE moves them); without the reference tool the table would compare nothing. */
function kafkaLibDir(): string {
  const d = stackPaths().kafkaLibDir;
  if (!existsSync(d) || !readdirSync(d).some((f) => f.startsWith('kafka-tools'))) throw new Error(`Kafka tools not found in ${d}: run \`npx tsx streams/cli.ts stack install\` first`);
  return d;
}

function consumerPerformance(topic: string): { rate: number; raw: string } {
  const dir = kafkaLibDir();
  const out = execFileSync('java', ['-cp', `${dir}/*`, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', brokers().join(','), '--topic', topic, '--messages', String(N), '--group', `bench-cp-${id}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const rows = out.trim().split('\n');
  const header = rows.findIndex((r) => r.includes('nMsg.sec'));
  const cols = rows[header]!.split(',').map((c) => c.trim());
  const vals = rows[header + 1]!.split(',').map((c) => c.trim());
  return { rate: Number(vals[cols.indexOf('fetch.nMsg.sec')]), raw: `${rows[header]}\n${rows[header + 1]}` };
}

/** Rate over the steady part: from the end of the first batch to the end of the last (startup and group join excluded). */
function steadyRate(events: { at: number; records: number }[]): number {
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const recs = events.slice(1).reduce((n, e) => n + e.records, 0);
  return recs / ((last.at - first.at) / 1000);
}

async function plainKafkajs(topic: string): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-plain-${id}-${++run}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const events: { at: number; records: number }[] = [];
  let total = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        let n = 0;
        for (const m of batch.messages) {
          n++;
          resolveOffset(m.offset);
        }
        total += n;
        events.push({ at: Date.now(), records: n });
        if (total >= N) resolve();
      },
    });
  });
  await consumer.disconnect();
  return steadyRate(events);
}

/** Plain kafkajs consume → produce one JSON output per input (idempotent, no transaction, 500-message sends): the client's ceiling for a 1:1 processor. */
async function plainPipe(topic: string): Promise<number> {
  const out = `bench-pipe-${id}-${++run}`;
  await createTopics([{ topic: out, partitions: PARTITIONS }]);
  const consumer = kafka.consumer({ groupId: `${out}-g`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const events: { at: number; records: number }[] = [];
  let total = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        const msgs = batch.messages.map((m) => ({ key: m.key, value: JSON.stringify({ key: m.key?.toString(), count: 0 }) }));
        for (let i = 0; i < msgs.length; i += 500) await producer.send({ topic: out, messages: msgs.slice(i, i + 500), acks: -1 });
        resolveOffset(batch.lastOffset());
        total += msgs.length;
        events.push({ at: Date.now(), records: msgs.length });
        if (total >= N) resolve();
      },
    });
  });
  await consumer.disconnect();
  return steadyRate(events);
}

async function fmeaflow(topic: string, mode: 'exactly-once' | 'at-least-once'): Promise<{ rate: number; commits: number }> {
  const out = `bench-out-${mode}-${id}-${++run}`;
  await createTopics([{ topic: out, partitions: PARTITIONS }]);
  const events: { at: number; records: number }[] = [];
  let total = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const w = await runWorker({ app: `${out}-app`, processors: [countPerKey({ input: topic, output: out })], catalog: [{ name: topic, schema: 'metric.avsc' }], mode, instanceId: 'bench', handleSignals: false, lateTopic: `bench-late-${id}`, dlqTopic: `bench-dlq-${id}` });
  w.on('committed', (e: CommitEvent) => {
    if (e.records === 0) return;
    total += e.records;
    events.push({ at: Date.now(), records: e.records });
    if (total >= N) resolveDone();
  });
  await done;
  await w.stop();
  return { rate: steadyRate(events), commits: events.length };
}

async function restoreBench(): Promise<{ seconds: number; records: number; heapMB: number | undefined; produceSeconds: number }> {
  const app = `bench-restore-${id}`;
  const p = countPerKey({ input: `bench-rin-${id}`, output: `bench-rout-${id}` });
  const cl = changelogTopic(app, p.store);
  await createTopics([{ topic: p.inputTopics[0]!, partitions: PARTITIONS }, { topic: p.outputTopics[0]!, partitions: PARTITIONS }, { topic: cl, partitions: PARTITIONS, compact: true }]);
  const t0 = Date.now();
  await produce(cl, RESTORE_KEYS, (i) => ({ key: `veh-${i}`, value: Buffer.from(String(i % 1000)), partition: i % PARTITIONS }), 10_000);
  const produceSeconds = (Date.now() - t0) / 1000;
  // One input record per partition triggers the restore of every partition.
  await serde.register({ name: p.inputTopics[0]!, schema: 'metric.avsc' });
  await produce(p.inputTopics[0]!, PARTITIONS, (i) => ({ key: `trigger-${i}`, value: serde.encodeSync(p.inputTopics[0]!, metric('x', i)), partition: i }));
  (globalThis as { gc?: () => void }).gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const restored: { records: number; seconds: number }[] = [];
  let committed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const w = await runWorker({ app, processors: [p], catalog: [{ name: p.inputTopics[0]!, schema: 'metric.avsc' }], instanceId: 'bench', handleSignals: false, lateTopic: `bench-late-${id}`, dlqTopic: `bench-dlq-${id}` });
  w.on('restored', (e: { records: number; seconds: number }) => restored.push(e));
  w.on('committed', (e: CommitEvent) => {
    committed += e.records;
    if (committed >= PARTITIONS) resolveDone();
  });
  await done;
  (globalThis as { gc?: () => void }).gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  await w.stop();
  return { seconds: restored.reduce((s, r) => s + r.seconds, 0), records: restored.reduce((s, r) => s + r.records, 0), heapMB: (globalThis as { gc?: unknown }).gc ? (heapAfter - heapBefore) / 2 ** 20 : undefined, produceSeconds };
}

async function latencyBench(): Promise<{ p50: number; p95: number; p99: number; max: number; n: number }> {
  const input = `bench-lin-${id}`;
  const output = `bench-lout-${id}`;
  await createTopics([{ topic: input, partitions: PARTITIONS }, { topic: output, partitions: PARTITIONS }]);
  await serde.register({ name: input, schema: 'metric.avsc' });
  const w = await runWorker({ app: `bench-lat-${id}`, processors: [countPerKey({ input, output })], catalog: [{ name: input, schema: 'metric.avsc' }], instanceId: 'bench', handleSignals: false, lateTopic: `bench-late-${id}`, dlqTopic: `bench-dlq-${id}` });
  const sentAt = new Map<string, number>();
  const seq = new Map<string, number>();
  const lat: number[] = [];
  const reader = kafka.consumer({ groupId: `bench-lread-${id}`, readUncommitted: false, maxWaitTimeInMs: 20 });
  await reader.connect();
  await reader.subscribe({ topic: output, fromBeginning: true });
  void reader.run({
    eachMessage: async ({ message }) => {
      const v = JSON.parse(message.value!.toString()) as { key: string; count: number };
      const t = sentAt.get(`${v.key}#${v.count}`);
      if (t !== undefined) lat.push(Date.now() - t);
    },
  });
  const total = RATE * LAT_SECONDS;
  const perTick = RATE / 20;
  const start = Date.now();
  let i = 0;
  while (i < total) {
    const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * RATE) + perTick);
    const messages = [];
    for (; i < due; i++) {
      const key = `veh-${i % 500}`;
      const c = (seq.get(key) ?? 0) + 1;
      seq.set(key, c);
      sentAt.set(`${key}#${c}`, Date.now());
      messages.push({ key, value: serde.encodeSync(input, metric(key, Date.now())) });
    }
    if (messages.length) await producer.send({ topic: input, messages, acks: -1 });
    await new Promise((r) => setTimeout(r, 50));
  }
  const deadline = Date.now() + 30_000;
  while (lat.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await reader.disconnect();
  await w.stop();
  lat.sort((a, b) => a - b);
  const q = (p: number): number => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!;
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: lat[lat.length - 1]!, n: lat.length };
}

async function main(): Promise<void> {
  await admin.connect();
  await producer.connect();
  const topic = `bench-in-${id}`;
  await createTopics([{ topic, partitions: PARTITIONS }]);
  await serde.register({ name: topic, schema: 'metric.avsc' });
  const bytes = serde.encodeSync(topic, metric('veh-1', 1)).length;
  await produce(topic, N, (i) => ({ key: `veh-${i % KEYS}`, value: serde.encodeSync(topic, metric(`veh-${i % KEYS}`, 1_700_000_000_000 + i)) }));
  say(`input: ${N} Avro metric records (~${bytes} B value), ${KEYS} keys, ${PARTITIONS} partitions; host: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);

  const cp = consumerPerformance(topic);
  // Interleaved repeats, median per row: the host is shared, so a single run can be off by 2x.
  const rows = { plain: [] as number[], pipe: [] as number[], eos: [] as number[], alo: [] as number[] };
  let eosCommits = 0;
  let aloCommits = 0;
  for (let r = 0; r < REPEAT; r++) {
    rows.plain.push(await plainKafkajs(topic));
    rows.pipe.push(await plainPipe(topic));
    const e = await fmeaflow(topic, 'exactly-once');
    rows.eos.push(e.rate);
    eosCommits = e.commits;
    const a = await fmeaflow(topic, 'at-least-once');
    rows.alo.push(a.rate);
    aloCommits = a.commits;
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const plain = median(rows.plain);
  const pipe = median(rows.pipe);
  const eos = { rate: median(rows.eos), commits: eosCommits };
  const alo = { rate: median(rows.alo), commits: aloCommits };
  say(`(median of ${REPEAT} interleaved runs per row; all runs: ${Object.entries(rows).map(([k, v]) => `${k} ${v.map((x) => x.toFixed(0)).join('/')}`).join(', ')})`);
  const ref = cp?.rate ?? plain;
  say('');
  say('| consumer (1 process, same topic) | records/s | vs ConsumerPerformance | vs plain kafkajs |');
  say('|---|---:|---:|---:|');
  if (cp) say(`| Kafka ConsumerPerformance (Java, fetch.nMsg.sec) | ${cp.rate.toFixed(0)} | 1.00 | ${(cp.rate / plain).toFixed(2)} |`);
  say(`| plain kafkajs eachBatch (no decode, no processing) | ${plain.toFixed(0)} | ${(plain / ref).toFixed(3)} | 1.00 |`);
  say(`| plain kafkajs consume → produce 1 output/record (no decode, no state, no txn) | ${pipe.toFixed(0)} | ${(pipe / ref).toFixed(3)} | ${(pipe / plain).toFixed(3)} |`);
  say(`| fmeaflow count-per-key, exactly-once (${eos.commits} txns) | ${eos.rate.toFixed(0)} | ${(eos.rate / ref).toFixed(3)} | ${(eos.rate / plain).toFixed(3)} |`);
  say(`| fmeaflow count-per-key, at-least-once (${alo.commits} commits) | ${alo.rate.toFixed(0)} | ${(alo.rate / ref).toFixed(3)} | ${(alo.rate / plain).toFixed(3)} |`);

  const r = await restoreBench();
  say('');
  say(`restore: ${r.records} changelog records (${RESTORE_KEYS} keys, ${PARTITIONS} partitions) in ${r.seconds.toFixed(2)} s = ${(r.records / r.seconds).toFixed(0)} records/s; heap growth ${r.heapMB === undefined ? 'n/a (run with --expose-gc)' : `${r.heapMB.toFixed(0)} MiB (${((r.heapMB * 2 ** 20) / RESTORE_KEYS).toFixed(0)} B/key)`}; producing the changelog took ${r.produceSeconds.toFixed(1)} s`);

  const l = await latencyBench();
  say('');
  say(`end-to-end latency, exactly-once, ${RATE} records/s for ${LAT_SECONDS} s (input send → output visible to a read_committed consumer), n=${l.n}: p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms`);
  if (cp) {
    say('');
    say('ConsumerPerformance raw:');
    say('```');
    say(cp.raw);
    say('```');
  }
  await producer.disconnect();
  await admin.disconnect();
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(
    'bench/results/runtime.md',
    `# Runtime benchmark\n\nDate: ${date}. Command: \`npx tsx --expose-gc bench/runtime-throughput.ts ${process.argv.slice(2).join(' ')}\`\n\nOne worker process, local single-node Kafka 4.1 (KRaft) and Apicurio registry on the same host, which is shared with other jobs: repeat runs vary by up to ~2x.\n\n${lines.join('\n')}\n\n${NOTES}`,
  );
}

const NOTES = `## Reading the numbers

- Records/s are steady-state: from the end of the first batch to the end of the last, so group joins and startup are excluded for every row alike. ConsumerPerformance's fetch.nMsg.sec excludes its rebalance time the same way.
- The pure-consumer rows finish 200k records in well under a second (~16 fetches of ~1 MB), so they are the noisiest and are ceilings for reading only; kafkajs' steady window also benefits from prefetch done during the first batch.
- fmeaflow writes one output record per input plus one changelog record per distinct key per batch, inside a transaction with acks=all. Its ceiling is therefore kafkajs' produce path, not the consumer: compare it with the "consume → produce" row, not with the pure consumers.
- kafkajs groups messages per partition with an O(n²) array spread (src/producer/groupMessagesPerPartition.js; fix proposed upstream in tulios/kafkajs#1576, never merged). The runtime sends each transaction in chunks of at most 500 messages (FMEAFLOW_SEND_CHUNK) and 512 KiB (FMEAFLOW_SEND_CHUNK_BYTES, so a partition's record batch stays under the broker's 1 MiB max.message.bytes) to stay out of that; one 15k-record batch went from ~900 ms to ~250-450 ms of commit time.
- Exactly-once costs one transaction (AddPartitions, produce, AddOffsets/TxnOffsetCommit, EndTxn) per partition batch; at-least-once replaces the last three with one offset commit. With ~12k-record batches the difference is within the noise here; it should grow as batches shrink (low input rates). The latency row measures exactly-once only.
- Restore reads the compacted changelog with read_committed and JSON-parses every value; heap per key includes the JS Map entry and the string key.
- Scale: records/s per worker here is for a trivial processor; heavier processors are CPU-bound in the processor itself. Workers scale by partitions (one consumer group per processor), so N workers need at least N input partitions.
`;

await main();
process.exit(0);
