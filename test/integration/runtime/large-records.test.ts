/**
 * Record sizes against the real broker's limits (max.message.bytes, 1 MiB by default): a batch
 * whose outputs add up to several MiB commits (sends are cut by bytes, not only by count); one
 * output larger than its topic accepts goes to the DLQ with RECORD_TOO_LARGE while the rest of the
 * batch commits; a state value over 1 MiB is kept in the changelog and restored by the next owner.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import kafkajs from 'kafkajs';
import { runWorker, type Worker } from '../../../streams/runtime/kafka/worker.ts';
import { changelogTopic } from '../../../streams/runtime/kafka/internal-topics.ts';
import type { Processor } from '../../../streams/processors/processor.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { produceAll, readAll, testAdmin, testProducer, waitFor, waitForGroupCaughtUp } from '../../helpers/kafka.ts';
import { runtimeApp } from '../../helpers/runtime-app.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';
const { ConfigResourceTypes } = kafkajs;

const RECORD_PADDING = 6_000;
const HUGE_OUTPUT = 1_200_000;
const BIG_STATE = 1_500_000;

/**
 * Per input record: an output of ~6 KB (so 600 of them are ~3.6 MB, over 1 MiB in any 500-record chunk);
 * key `huge` emits one 1.2 MB output; key `big-state` stores a 1.5 MB value; key `probe` reports the
 * length of the stored big value, which after a restart can only come from the changelog.
 */
function sizedOutputs(input: string, output: string): Processor<string, Record<string, unknown>> {
  return {
    name: 'sized-outputs',
    inputTopics: [input],
    outputTopics: [output],
    store: 'sized-outputs-store',
    allowedLatenessMs: Number.MAX_SAFE_INTEGER,
    eventTimeMs: (v) => Number(v['timestampMs']),
    process(store, record) {
      if (record.key === 'big-state') return { updates: [{ key: 'big', value: 'x'.repeat(BIG_STATE) }], outputs: [] };
      if (record.key === 'probe') return { updates: [], outputs: [{ topic: output, key: 'probe', value: { key: 'probe', stored: store.get('big')?.length ?? 0 } }] };
      const size = record.key === 'huge' ? HUGE_OUTPUT : RECORD_PADDING;
      return { updates: [], outputs: [{ topic: output, key: record.key, value: { key: record.key, t: Number(record.value['timestampMs']), pad: 'p'.repeat(size) } }] };
    },
  };
}

const metric = (vehicleId: string, timestampMs: number) => ({ vehicleId, name: 'speed', labels: {}, kind: 'GAUGE', timestampMs, value: 1, histogram: null, unit: null });

test('multi-MiB batches commit, an oversized output is dead-lettered as RECORD_TOO_LARGE, a 1.5 MB state value survives a restart', { timeout: 180_000 }, async (t) => {
  const { input, output, late, dlq, catalog, serde, app } = await runtimeApp(t, 'big');
  const p = sizedOutputs(input, output);
  const keys = Array.from({ length: 600 }, (_, i) => (i === 300 ? 'huge' : i === 450 ? 'big-state' : `veh-${i % 30}`));
  const producer = await testProducer(t);
  // Produced before the worker starts, so its first fetch holds them all in one batch.
  await produceAll(producer, input, keys.map((k, i) => ({ key: k, value: serde.encodeSync(input, metric(k, 1_700_000_000_000 + i)) })));
  const admin = await testAdmin(t);
  const start = async (id: string): Promise<Worker> => {
    const w = await runWorker({ app, processors: [p], catalog, lateTopic: late, dlqTopic: dlq, instanceId: id, handleSignals: false, sessionTimeoutMs: 6000 });
    t.after(() => w.stop());
    return w;
  };
  const first = await start('w1');
  await waitForGroupCaughtUp(admin, `${app}-${p.name}`, input);
  await first.stop();

  const out = (await readAll(output)).map((r) => JSON.parse(r.value!.toString()) as { key: string; pad: string });
  assert.equal(out.length, keys.length - 2, 'every ordinary output arrived (all but the huge one and the state-only record)');
  assert.ok(out.every((o) => o.key !== 'huge' && o.pad.length === RECORD_PADDING));
  const dead = await Promise.all((await readAll(dlq)).map(async (d) => (await serde.decode(dlq, d.value!)) as Record<string, unknown>));
  assert.equal(dead.length, 1, `one dead letter: ${dead.map((d) => d.errorCode)}`);
  assert.equal(dead[0]!.errorCode, ErrorCodes.RECORD_TOO_LARGE);
  assert.equal(dead[0]!.sourceTopic, output);
  assert.equal(Buffer.from(dead[0]!.rawKey as Buffer).toString(), 'huge');
  assert.match(String(dead[0]!.errorMessage), /over the \d+-byte limit/);

  // The changelog accepts records over the broker's default limit, and holds the 1.5 MB value.
  const cl = changelogTopic(app, p.store);
  const cfg = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: cl, configNames: ['max.message.bytes'] }] });
  assert.ok(Number(cfg.resources[0]!.configEntries[0]!.configValue) > BIG_STATE, `changelog max.message.bytes ${cfg.resources[0]!.configEntries[0]!.configValue}`);

  // A new owner restores the partition from the changelog, so the probe sees the stored value.
  const second = await start('w2');
  await produceAll(producer, input, [{ key: 'probe', value: serde.encodeSync(input, metric('probe', 1_700_000_001_000)) }]);
  const probe = await waitFor(async () => (await readAll(output)).map((r) => JSON.parse(r.value!.toString()) as { key: string; stored?: number }).find((o) => o.key === 'probe'), { timeoutMs: 60_000, intervalMs: 500, what: 'the probe output' });
  assert.equal(probe.stored, BIG_STATE);
  await second.stop();
});
