/**
 * End-to-end fuzz of topic values: a worker running the whole topology in a child process under
 * --max-old-space-size=512 receives thousands of hostile values on every vehicle input topic, every
 * global topic and the engine topics other processors read, interleaved with good CAN batches, on the real broker and registry. The worker must
 * never exit, every value that cannot be a valid record must be dead-lettered with its SERDE_* code,
 * no good record may be dead-lettered, every closed window of the good CAN batches must yield its
 * feature vector, and the child's memory must stay bounded.
 *
 * Seeded: the seed is printed; FUZZ_SEED=<seed> replays the same values. FUZZ_COUNT scales the number
 * of hostile values per topic (default 150 that must be refused + 150 mutations that may decode).
 *
 * Values that must be refused (their (topic, partition, offset) is looked up in the DLQ): strict
 * prefixes and over-long copies of valid records, block-count bombs (a top-level array/map count far
 * beyond the bytes left, among them the three poison values of issue 14), wrong magic bytes, random
 * bytes, and schema ids no registry holds. Mutations (random byte flips and random bodies behind a
 * valid header) may happen to decode, so they only have to leave the worker alive; on the partitioned
 * input topics they go to other partitions than the good batches, so a mutated but valid timestamp
 * cannot move the good batches' watermark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import seedrandom from 'seedrandom';
import { Topics, TOPIC_SPECS } from '../../../streams/topic-catalog.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { frame, unframe } from '../../../streams/runtime/serde/wire-format.ts';
import { parseJsonWithBytes } from '../../../streams/runtime/serde/json-bytes.ts';
import { followOutputs } from '../../../streams/runtime/live/output-feed.ts';
import { provisionTopics } from '../../../streams/runtime/admin/topic-provisioner.ts';
import { appResources, deleteAppResources } from '../../../streams/runtime/admin/app-resources.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { namespaceProcessor, topicNamespace } from '../../../bench/lib/namespaced-topics.ts';
import { testKafka, uniqueName, waitFor } from '../../helpers/kafka.ts';

const SEED = process.env.FUZZ_SEED ?? String(Date.now());
const COUNT = Number(process.env.FUZZ_COUNT ?? 150);
const HEAP_MB = 512;
/** Peak resident memory allowed to the child (measured ~170 MB): the heap cap already stops it at 512 MiB of heap. */
const RSS_BOUND_MB = 512;

const INPUTS = [Topics.can, Topics.metrics, Topics.spans, Topics.logs];
const GLOBALS = [Topics.releases, Topics.rules, Topics.vehicles];
/** Engine outputs that other processors of the topology read. */
const ENGINE_READ = [Topics.canFeatures, Topics.canClusters, Topics.logClusters, Topics.drift];
const POISON: Record<string, string> = {
  [Topics.can]: '0256026d0000000080808040',
  [Topics.metrics]: '000080808080010000',
  [Topics.releases]: '027202730276000000000000000000000263808080400000',
};
const SERDE_BODY = new Set<string>([ErrorCodes.TRUNCATED_PAYLOAD, ErrorCodes.BLOCK_COUNT_EXCEEDED, ErrorCodes.INVALID_BODY]);

type Kind = 'truncated' | 'trailing' | 'bomb' | 'poison' | 'bad-magic' | 'random' | 'unknown-id';
const EXPECTED: Record<Kind, (code: string) => boolean> = {
  truncated: (c) => SERDE_BODY.has(c),
  trailing: (c) => c === ErrorCodes.INVALID_BODY,
  bomb: (c) => c === ErrorCodes.BLOCK_COUNT_EXCEEDED,
  poison: (c) => c === ErrorCodes.BLOCK_COUNT_EXCEEDED,
  'bad-magic': (c) => c === ErrorCodes.BAD_MAGIC_BYTE,
  random: (c) => c === ErrorCodes.BAD_MAGIC_BYTE,
  'unknown-id': (c) => c === ErrorCodes.UNKNOWN_SCHEMA_ID,
};

interface Outgoing { value: Buffer; key: string; kind: Kind | 'good' | 'mutated' }

/** Zigzag varint of a non-negative count (Avro long). */
function avroCount(n: number): Buffer {
  let z = n * 2;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 0x80) | 0x80);
    z = Math.floor(z / 0x80);
  }
  out.push(z);
  return Buffer.from(out);
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

test(`fuzzed values on every input, global and engine-read topic go to the DLQ with their code; the worker keeps processing (FUZZ_SEED=${SEED})`, { timeout: 420_000 }, async (t) => {
  t.diagnostic(`FUZZ_SEED=${SEED} FUZZ_COUNT=${COUNT}`);
  const rng = seedrandom(SEED);
  const int = (n: number): number => Math.floor(rng() * n);
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)));

  const n = topicNamespace(uniqueName('fuzz'));
  const app = n.ns;
  // Clean-ups run last-registered first: the feed, producer and worker stop before their topics go.
  const cleanups: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const kafka = testKafka();
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(admin, n.specs);
  cleanups.push(async () => {
    await deleteAppResources(admin, appResources(app, buildTopology({ app, timing: DRIVE_TIMING }).map((p) => namespaceProcessor(p, n)))).catch(() => undefined);
    await admin.deleteTopics({ topics: n.specs.map((s) => s.name) }).catch(() => undefined);
    await admin.disconnect();
  });
  const serde = createSerde();
  await serde.registerAll(n.specs.map((s) => ({ name: s.name, schema: s.schema })));

  // The worker, in its own process with a capped heap.
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, '--import', 'tsx', path.join(import.meta.dirname, 'fuzz-worker.ts')], {
    cwd: PROJECT_ROOT, env: { ...process.env, FUZZ_NS: app, FMEAFLOW_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited: string | undefined;
  let stderrTail = '';
  child.on('exit', (code, signal) => (exited = `exit code ${code}, signal ${signal}`));
  child.stderr.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-4000)));
  let ready = false;
  child.stdout.on('data', (d: Buffer) => (ready ||= d.toString().includes('ready')));
  cleanups.push(async () => {
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  });
  await waitFor(() => ready || exited, { timeoutMs: 240_000, intervalMs: 250, what: 'the fuzz worker to start' });
  assert.equal(exited, undefined, `the worker exited while starting: ${stderrTail}`);

  // Everything the worker writes that the test checks.
  const dlq = new Map<string, string[]>();
  const features = new Set<string>();
  const feed = await followOutputs(kafka, serde, [n.out(Topics.dlq), n.out(Topics.canFeatures)], (r) => {
    if (r.topic === n.out(Topics.canFeatures)) {
      const v = r.value as { vehicleId: string; windowStartMs: number };
      features.add(`${v.vehicleId}@${v.windowStartMs}`);
      return;
    }
    const d = r.value as { sourceTopic: string; sourcePartition: number; sourceOffset: string | number; errorCode: string };
    const k = `${d.sourceTopic}/${d.sourcePartition}/${d.sourceOffset}`;
    dlq.set(k, [...(dlq.get(k) ?? []), d.errorCode]);
  }, { fromBeginning: true });
  cleanups.push(() => feed.stop());

  // One valid record per topic (the schema's example), and where its top-level array/map sits in the bytes.
  function hostile(topic: string): Outgoing[] {
    const spec = TOPIC_SPECS.find((s) => s.name === topic)!;
    const example = parseJsonWithBytes(readFileSync(path.join(PROJECT_ROOT, 'schemas', 'examples', spec.schema.replace('.avsc', '.json')), 'utf8')) as Record<string, unknown>;
    const nsTopic = n.out(topic);
    const good = serde.encodeSync(nsTopic, example);
    const { schemaId, body } = unframe(good, nsTopic);
    // The count byte of the first non-empty top-level array/map: where encodings with and without its items part.
    const blockField = Object.keys(example).find((k) => {
      const v = example[k];
      return (Array.isArray(v) && v.length > 0) || (v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && Object.keys(v).length > 0);
    });
    let countAt = -1;
    if (blockField) {
      const emptied = unframe(serde.encodeSync(nsTopic, { ...example, [blockField]: Array.isArray(example[blockField]) ? [] : {} }), nsTopic).body;
      countAt = [...emptied].findIndex((b, i) => b !== body[i]);
    }
    const out: Outgoing[] = [];
    const kinds: Kind[] = ['truncated', 'trailing', 'bad-magic', 'random', 'unknown-id', ...(countAt >= 0 ? ['bomb' as const] : [])];
    for (let i = 0; i < COUNT; i++) {
      const kind = kinds[i % kinds.length]!;
      const key = `fuzz-${i}`;
      if (kind === 'truncated') out.push({ kind, key, value: good.subarray(0, 1 + int(good.length - 1)) });
      else if (kind === 'trailing') out.push({ kind, key, value: Buffer.concat([good, bytes(1 + int(16))]) });
      else if (kind === 'bad-magic') out.push({ kind, key, value: Buffer.concat([Buffer.from([1 + int(255)]), good.subarray(1)]) });
      else if (kind === 'random') out.push({ kind, key, value: Buffer.concat([Buffer.from([1 + int(255)]), bytes(int(64))]) });
      else if (kind === 'unknown-id') out.push({ kind, key, value: frame(0x7f000000 + int(16), body) });
      else {
        // 2^20..2^40 items announced, at most 7 bytes behind them.
        const bomb = Buffer.concat([body.subarray(0, countAt), avroCount(2 ** (20 + int(21))), bytes(int(8))]);
        out.push({ kind, key, value: frame(schemaId, bomb) });
      }
    }
    if (POISON[topic]) out.push({ kind: 'poison', key: 'poison', value: frame(schemaId, Buffer.from(POISON[topic]!, 'hex')) });
    return out;
  }
  function mutated(topic: string, count: number): Outgoing[] {
    const spec = TOPIC_SPECS.find((s) => s.name === topic)!;
    const example = parseJsonWithBytes(readFileSync(path.join(PROJECT_ROOT, 'schemas', 'examples', spec.schema.replace('.avsc', '.json')), 'utf8'));
    const good = serde.encodeSync(n.out(topic), example);
    return Array.from({ length: count }, (_, i) => {
      const v = Buffer.from(good);
      if (i % 2 === 0) for (let f = 0; f < 1 + int(4); f++) v[5 + int(v.length - 5)] = int(256);
      return { kind: 'mutated' as const, key: `mut-${i}`, value: i % 2 === 0 ? v : Buffer.concat([good.subarray(0, 5), bytes(int(96))]) };
    });
  }

  // Good CAN batches: three vehicles, a 200 ms batch of the BMS heartbeat every 2 s for 80 s, on partition 0.
  const T0 = 1_736_150_400_000;
  const vehicles = ['VIN-FUZZ-1', 'VIN-FUZZ-2', 'VIN-FUZZ-3'];
  const goodCan: Outgoing[] = [];
  for (let s = 0; s < 80; s += 2) {
    for (const vehicleId of vehicles) {
      const startUs = (T0 + s * 1000) * 1000;
      goodCan.push({
        kind: 'good', key: vehicleId, value: serde.encodeSync(n.out(Topics.can), {
          vehicleId, bus: 'main', bitrateBps: 500_000, seq: s / 2, batchStartUs: startUs, batchEndUs: startUs + 200_000, droppedFrames: 0,
          frames: [0, 100_000].map((dt) => ({ timestampUs: startUs + dt, id: 0x2a3, extended: false, fd: false, brs: false, rtr: false, error: false, dlc: 8, data: Buffer.alloc(8, s) })),
        }),
      });
    }
  }

  // Interleave, send, and remember where each value landed.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const sent: { at: string; kind: Outgoing['kind'] }[] = [];
  async function send(topic: string, partition: number, records: Outgoing[]): Promise<void> {
    const nsTopic = n.out(topic);
    for (let i = 0; i < records.length; i += 500) {
      const chunk = records.slice(i, i + 500);
      const [meta] = await producer.send({ topic: nsTopic, messages: chunk.map((r) => ({ key: r.key, value: r.value, partition })) });
      chunk.forEach((r, j) => sent.push({ at: `${nsTopic}/${partition}/${BigInt(meta!.baseOffset!) + BigInt(j)}`, kind: r.kind }));
    }
  }
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  for (const topic of INPUTS) {
    const bad = hostile(topic);
    // Keep the good batches in time order; hostile values go between them at random places.
    const merged: Outgoing[] = topic === Topics.can ? [...goodCan] : [];
    for (const b of bad) merged.splice(int(merged.length + 1), 0, b);
    await send(topic, 0, merged);
    const muts = mutated(topic, COUNT);
    for (let p = 1; p < n.specs.find((s) => s.name === n.out(topic))!.partitions; p++) await send(topic, p, muts.filter((_, i) => i % 5 === p - 1));
  }
  for (const topic of GLOBALS) await send(topic, 0, shuffle([...hostile(topic), ...mutated(topic, COUNT)]));
  // The engine's own topics: partition 1 where there are several, so the good batches' feature vectors on the others stay apart.
  for (const topic of ENGINE_READ) await send(topic, n.specs.find((s) => s.name === n.out(topic))!.partitions > 1 ? 1 : 0, shuffle([...hostile(topic), ...mutated(topic, COUNT / 3)]));
  const byKind = new Map<string, number>();
  for (const s of sent) byKind.set(s.kind, (byKind.get(s.kind) ?? 0) + 1);
  t.diagnostic(`sent ${sent.length} values: ${[...byKind].map(([k, c]) => `${c} ${k}`).join(', ')}`);

  // Every value that cannot decode is dead-lettered with its code; the good batches' closed windows are published.
  const mustRefuse = sent.filter((s) => s.kind !== 'good' && s.kind !== 'mutated');
  const windowMs = DRIVE_TIMING.canWindowMs;
  // can-features closes a window 30 s (its allowed lateness) after its end; the batches reach T0 + 78 s.
  const expectedFeatures = vehicles.flatMap((v) => [0, 1, 2, 3].map((w) => `${v}@${T0 + w * windowMs}`));
  await waitFor(() => exited || (mustRefuse.every((s) => dlq.has(s.at)) && expectedFeatures.every((f) => features.has(f))), {
    timeoutMs: 240_000, intervalMs: 500,
    what: `${mustRefuse.filter((s) => !dlq.has(s.at)).length} of ${mustRefuse.length} hostile values in the DLQ and ${expectedFeatures.filter((f) => !features.has(f)).length} feature vectors`,
  });
  assert.equal(exited, undefined, `the worker exited: ${stderrTail}`);
  const wrong = mustRefuse.filter((s) => !dlq.get(s.at)!.every(EXPECTED[s.kind as Kind]));
  assert.deepEqual(wrong.map((s) => `${s.kind} ${s.at}: ${dlq.get(s.at)!.join(',')}`), [], 'dead-lettered with the code of what is wrong');
  const goodDead = sent.filter((s) => s.kind === 'good' && dlq.has(s.at));
  assert.deepEqual(goodDead.map((s) => `${s.at}: ${dlq.get(s.at)!.join(',')}`), [], 'no good batch is dead-lettered');
  const rss = peakRssMb(child.pid!);
  t.diagnostic(`child peak RSS ${rss.toFixed(0)} MB, ${dlq.size} dead-lettered source records`);
  assert.ok(rss < RSS_BOUND_MB, `peak RSS ${rss.toFixed(0)} MB stays under ${RSS_BOUND_MB} MB`);
});
