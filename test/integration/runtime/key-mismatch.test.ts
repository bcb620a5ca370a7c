/**
 * Against the real broker and registry: a record whose Kafka key is not the vehicle id in its value (what the
 * topology declares for every vehicle input through Processor.expectedKey) goes to the DLQ as RECORD_KEY_MISMATCH
 * with its raw key and offset, and the vehicle it claims to be is not credited with it; the rest is processed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWorker } from '../../../streams/runtime/kafka/worker.ts';
import { countPerKey } from '../../../streams/processors/testing/count-per-key.ts';
import type { Processor } from '../../../streams/processors/processor.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { produceAll, readAll, testAdmin, testProducer, waitForGroupCaughtUp } from '../../helpers/kafka.ts';
import { runtimeApp } from '../../helpers/runtime-app.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

const metric = (vehicleId: string, timestampMs: number) => ({ vehicleId, name: 'speed', labels: {}, kind: 'GAUGE', timestampMs, value: 1, histogram: null, unit: null });

test('records keyed by another vehicle, by nothing or by a 10 kB key are dead-lettered as RECORD_KEY_MISMATCH; the rest is counted once', { timeout: 180_000 }, async (t) => {
  const s = await runtimeApp(t, 'keys', { input: 2, output: 2 });
  const producer = await testProducer(t);
  const wire: { key: string; value: Buffer }[] = [];
  for (let i = 0; i < 300; i++) { const v = `veh-${i % 3}`; wire.push({ key: v, value: s.serde.encodeSync(s.input, metric(v, 1_700_000_000_000 + i)) }); }
  const spoofs = [
    { key: 'veh-1', value: s.serde.encodeSync(s.input, metric('veh-2', 1_700_000_000_500)) },
    { key: '', value: s.serde.encodeSync(s.input, metric('veh-0', 1_700_000_000_501)) },
    { key: 'k'.repeat(10_000), value: s.serde.encodeSync(s.input, metric('veh-0', 1_700_000_000_502)) },
  ];
  wire.splice(100, 0, spoofs[0]!);
  wire.splice(200, 0, spoofs[1]!, spoofs[2]!);
  await produceAll(producer, s.input, wire);

  const p: Processor = { ...countPerKey({ input: s.input, output: s.output }), expectedKey: (v) => (v as { vehicleId: string }).vehicleId };
  const w = await runWorker({ app: s.app, processors: [p], catalog: s.catalog, lateTopic: s.late, dlqTopic: s.dlq, instanceId: 'w1', handleSignals: false, sessionTimeoutMs: 6000 });
  t.after(() => w.stop());
  await waitForGroupCaughtUp(await testAdmin(t), `${s.app}-${p.name}`, s.input);
  await w.stop();

  const dead = await Promise.all((await readAll(s.dlq)).map(async (d) => (await s.serde.decode(s.dlq, d.value!)) as Record<string, unknown>));
  assert.deepEqual(dead.map((d) => d.errorCode), Array(3).fill(ErrorCodes.KEY_MISMATCH));
  assert.deepEqual(dead.map((d) => Buffer.from(d.rawKey as Buffer).toString()).sort(), spoofs.map((x) => x.key).sort(), 'the raw keys are kept');
  assert.ok(dead.every((d) => String(d.errorMessage).length < 400 && typeof d.sourceOffset === 'number' && Number(d.sourceOffset) >= 0));
  const out = (await readAll(s.output)).map((r) => ({ key: r.key!.toString(), count: (JSON.parse(r.value!.toString()) as { count: number }).count }));
  for (const v of ['veh-0', 'veh-1', 'veh-2']) {
    assert.equal(Math.max(...out.filter((o) => o.key === v).map((o) => o.count)), 100, `${v}: its own 100 records, no spoof`);
  }
  assert.equal(out.length, 300);
});
