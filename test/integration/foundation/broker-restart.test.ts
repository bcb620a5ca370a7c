import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKafka } from '../../../streams/runtime/kafka/client.ts';
import { startKafka, stopKafka } from '../../../streams/runtime/stack/kafka-server.ts';
import type { KafkaInstanceConfig } from '../../../streams/runtime/stack/stack-config.ts';
import { freePort } from '../../helpers/ports.ts';

// A private broker on its own ports, so restarting it cannot disturb other tests.
async function privateBroker(): Promise<KafkaInstanceConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-restart-'));
  return { host: '127.0.0.1', port: await freePort(), controllerPort: await freePort(), dataDir: path.join(dir, 'data'), runDir: dir, heapMb: 512 };
}

test('an idempotent producer with acks=-1 loses and duplicates nothing across a broker restart', { timeout: 240_000 }, async (t) => {
  const k = await privateBroker();
  await startKafka(k);
  const cleanup: (() => Promise<unknown>)[] = [];
  // Clients must close before the broker stops, or their reconnect loops keep the process alive.
  t.after(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {});
    await stopKafka(k);
    fs.rmSync(k.runDir, { recursive: true, force: true });
  });
  const brokers = [`${k.host}:${k.port}`];
  const kafka = createKafka('restart-test', brokers, 60, true, { retry: { retries: 60, initialRetryTime: 200, maxRetryTime: 2000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'restart', numPartitions: 2 }] });
  await admin.disconnect();

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanup.push(() => producer.disconnect());
  const total = 3000;
  const restartAt = 1000;
  let restart: Promise<void> | undefined;
  for (let i = 0; i < total; i++) {
    if (i === restartAt) {
      // Restart in the background while the loop keeps producing: sends stall and are retried by the client.
      restart = (async () => {
        await stopKafka(k);
        await startKafka(k);
      })();
    }
    await producer.send({ topic: 'restart', acks: -1, messages: [{ key: `v${i % 7}`, value: JSON.stringify({ i }) }] });
  }
  await restart;

  const consumer = kafka.consumer({ groupId: 'restart-check' });
  await consumer.connect();
  cleanup.push(() => consumer.disconnect());
  await consumer.subscribe({ topic: 'restart', fromBeginning: true });
  const seen: number[] = [];
  const perKey = new Map<string, number[]>();
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${seen.length}/${total} records came back`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const { i } = JSON.parse(message.value!.toString()) as { i: number };
        seen.push(i);
        const key = message.key!.toString();
        perKey.set(key, [...(perKey.get(key) ?? []), i]);
        if (seen.length >= total) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  assert.equal(seen.length, total);
  assert.deepEqual([...new Set(seen)].sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i), 'every record exactly once');
  for (const [key, list] of perKey) assert.deepEqual(list, [...list].sort((a, b) => a - b), `order kept for key ${key}`);
});
