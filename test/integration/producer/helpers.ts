/**
 * Integration helpers for the producer tests: unique topic names, a consumer that reads
 * a topic set until an expected count arrives (polling a condition, no sleeps), and a
 * loopback port with nothing listening (a broker that is down).
 */
import { randomBytes } from 'node:crypto';
import { createKafka } from '../../../streams/runtime/kafka/client.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { brokers, registryUrl } from '../../../streams/runtime/kafka/connection.ts';
import type { TopicMap } from '../../../vehicle-producer/publish/avro-encoder.ts';
import { freePort } from '../../helpers/ports.ts';

/** Topic names unique to one test run. */
export function uniqueTopics(tag: string): TopicMap {
  const s = `${tag}-${randomBytes(4).toString('hex')}`;
  return { can: `test.producer.can.${s}`, metrics: `test.producer.metrics.${s}`, spans: `test.producer.spans.${s}`, logs: `test.producer.logs.${s}`, releases: `test.producer.releases.${s}` };
}

/** A consumed, decoded record. */
export interface Consumed { topic: string; partition: number; offset: string; key: string; value: Record<string, unknown> }

/** Reads the topics from the beginning until `expected` records arrived or the timeout passed. */
export async function consumeAll(topics: string[], expected: number, timeoutMs = 60_000): Promise<Consumed[]> {
  const kafka = createKafka('producer-it', brokers(), 8, true);
  const consumer = kafka.consumer({ groupId: `producer-it-${randomBytes(4).toString('hex')}` });
  const serde = createSerde({ registryUrl: registryUrl() });
  const out: Consumed[] = [];
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        out.push({ topic, partition, offset: message.offset, key: message.key!.toString(), value: (await serde.decode(topic, message.value!)) as Record<string, unknown> });
      },
    });
    const until = Date.now() + timeoutMs;
    while (out.length < expected && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    // Duplicates would sit after the originals: read on until everything the topics hold has arrived.
    const admin = kafka.admin();
    await admin.connect();
    let held = 0;
    try {
      for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) held += Number(p.high) - Number(p.low);
    } finally {
      await admin.disconnect();
    }
    while (out.length < held && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** A 127.0.0.1 port with no listener (bound then closed). */
export const closedPort = freePort;
