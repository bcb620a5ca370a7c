/**
 * Produce and consume throughput of Avro CAN frame batches with kafkajs, side by side with
 * Kafka's own ProducerPerformance / ConsumerPerformance on the same broker in the same run.
 *
 *   npx tsx bench/kafka-throughput.ts [--records 40000] [--frames 50]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKafka } from '../streams/runtime/kafka/client.ts';
import { createSerde } from '../streams/runtime/serde/serde.ts';
import { stackEndpoints, stackUp } from '../streams/runtime/stack/stack.ts';
import { Topics, topicSpec } from '../streams/topic-catalog.ts';
import { javaConsumerPerf, javaProducerPerf, type PerfResult } from './lib/java-perf.ts';
import { writeResultSection } from './lib/results.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '40000' }, frames: { type: 'string', default: '50' } } });
const N = Number(values.records);
const FRAMES = Number(values.frames);

function batch(i: number): unknown {
  const t0 = 1_700_000_000_000_000 + i * 100_000;
  return {
    vehicleId: `VIN${String(i % 100).padStart(5, '0')}`, bus: 'powertrain', bitrateBps: 500_000, seq: i,
    batchStartUs: t0, batchEndUs: t0 + 100_000, droppedFrames: 0,
    frames: Array.from({ length: FRAMES }, (_, f) => ({
      timestampUs: t0 + f * 2000, id: 0x100 + (f % 40), extended: false, fd: false, brs: false, rtr: false, error: false, dlc: 8,
      data: Buffer.from([f, i & 0xff, (i >> 8) & 0xff, 0x10, 0x20, 0x30, 0x40, 0x50]),
    })),
  };
}

async function main(): Promise<void> {
  await stackUp();
  const brokers = stackEndpoints().brokers;
  const serde = createSerde({ registryUrl: stackEndpoints().registryUrl });
  await serde.register({ name: Topics.can, schema: topicSpec(Topics.can)!.schema });
  const kafka = createKafka('bench-kafka-throughput', brokers);
  const admin = kafka.admin();
  await admin.connect();
  const id = randomUUID().slice(0, 8);
  const ours = `bench-can-${id}`;
  const ref = `bench-ref-${id}`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: ours, numPartitions: 6 }, { topic: ref, numPartitions: 6 }] });

  // Encode up front: this benchmark measures the client and broker path; Avro encode cost is reported separately.
  const encStart = process.hrtime.bigint();
  const payloads = Array.from({ length: N }, (_, i) => serde.encodeSync(Topics.can, batch(i)));
  const encodeSec = Number(process.hrtime.bigint() - encStart) / 1e9;
  const bytes = payloads.reduce((s, p) => s + p.length, 0);
  const avg = Math.round(bytes / N);

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const pStart = process.hrtime.bigint();
  const BATCH = 500;
  for (let i = 0; i < N; i += BATCH) {
    await producer.send({ topic: ours, acks: -1, messages: payloads.slice(i, i + BATCH).map((value, j) => ({ key: `VIN${String((i + j) % 100).padStart(5, '0')}`, value })) });
  }
  const pSec = Number(process.hrtime.bigint() - pStart) / 1e9;
  await producer.disconnect();
  const ourProduce: PerfResult = { records: N, recordsPerSec: N / pSec, mbPerSec: bytes / pSec / 2 ** 20 };

  const consumer = kafka.consumer({ groupId: `bench-${id}`, maxBytes: 32 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: ours, fromBeginning: true });
  let seen = 0;
  let cStart = 0n;
  const cSec = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch: b }) => {
        if (cStart === 0n) cStart = process.hrtime.bigint();
        for (const m of b.messages) if (m.value) seen++;
        if (seen >= N) resolve(Number(process.hrtime.bigint() - cStart) / 1e9);
      },
    });
  });
  await consumer.disconnect();
  const ourConsume: PerfResult = { records: N, recordsPerSec: N / cSec, mbPerSec: bytes / cSec / 2 ** 20 };

  const refProduce = javaProducerPerf(brokers.join(','), ref, N, avg);
  const refConsume = javaConsumerPerf(brokers.join(','), ref, N);
  await admin.deleteTopics({ topics: [ours, ref] });
  await admin.disconnect();

  const row = (name: string, r: PerfResult, refR: PerfResult): string =>
    `| ${name} | ${Math.round(r.recordsPerSec).toLocaleString('en')} | ${r.mbPerSec.toFixed(1)} | ${Math.round(refR.recordsPerSec).toLocaleString('en')} | ${refR.mbPerSec.toFixed(1)} | ${(r.recordsPerSec / refR.recordsPerSec).toFixed(2)} |`;
  const table = [
    `${N.toLocaleString('en')} CanFrameBatch records of ${FRAMES} frames (Avro, avg ${avg} B incl. 5-byte header), 6 partitions, acks=-1, no compression, single local broker.`,
    `Avro encode alone (avsc via serde): ${Math.round(N / encodeSec).toLocaleString('en')} records/s.`,
    '',
    '| path | kafkajs records/s | kafkajs MB/s | Kafka perf tool records/s | perf tool MB/s | ratio kafkajs / Java |',
    '|---|---|---|---|---|---|',
    row('produce (idempotent, 500/send)', ourProduce, refProduce),
    row('consume (group, eachBatch)', ourConsume, refConsume),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  writeResultSection('kafka-throughput', 'Kafka produce/consume: kafkajs vs Kafka perf tools', `npx tsx bench/kafka-throughput.ts --records ${N} --frames ${FRAMES}`, table);
}

await main();
