/**
 * `fmeaflow reset` on the real broker: refused while the app runs; afterwards the app's
 * changelog and group are gone, another app on the same input keeps its own, and a worker
 * restarted under the reset id counts from nothing (its counts are 1..n again, not n+1..).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runWorker, type Worker } from '../../../streams/runtime/kafka/worker.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { countPerKey } from '../../../streams/processors/testing/count-per-key.ts';
import { changelogTopic } from '../../../streams/runtime/kafka/internal-topics.ts';
import { appResources, deleteAppResources } from '../../../streams/runtime/admin/app-resources.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { freshTopics, produceAll, readAll, testAdmin, testProducer, uniqueName, waitForGroupCaughtUp } from '../../helpers/kafka.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

test('reset deletes one app\'s state only, is refused while it runs, and a restarted worker starts from nothing', async (t) => {
  const [input, outA, outB, late, dlq] = await freshTopics(t, [{ prefix: 'rs-in', partitions: 2 }, { prefix: 'rs-out-a' }, { prefix: 'rs-out-b' }, { prefix: 'rs-late' }, { prefix: 'rs-dlq' }]);
  const catalog = [{ name: input!, schema: 'metric.avsc' }, { name: late!, schema: 'late-record.avsc' }, { name: dlq!, schema: 'dead-letter.avsc' }];
  const serde = createSerde();
  await serde.registerAll(catalog);
  const keys = ['v1', 'v2', 'v3'];
  const wire = Array.from({ length: 300 }, (_, i) => {
    const key = keys[i % keys.length]!;
    return { key, value: serde.encodeSync(input!, { vehicleId: key, name: 'speed', labels: {}, kind: 'GAUGE', timestampMs: 1_700_000_000_000 + i, value: 1, histogram: null, unit: null }) };
  });
  await produceAll(await testProducer(t), input!, wire);

  // Two apps whose ids share a prefix, so a prefix match would take the second one's state too.
  const appA = uniqueName('rsapp');
  const appB = `${appA}-b`;
  const pa = countPerKey({ input: input!, output: outA! });
  const pb = countPerKey({ input: input!, output: outB! });
  const admin = await testAdmin(t);
  const start = (app: string, p: typeof pa): Promise<Worker> => runWorker({ app, processors: [p], catalog, lateTopic: late!, dlqTopic: dlq!, instanceId: 'w', handleSignals: false, sessionTimeoutMs: 6000 }).then((w) => {
    t.after(() => w.stop());
    return w;
  });
  const wa = await start(appA, pa);
  const wb = await start(appB, pb);
  await waitForGroupCaughtUp(admin, `${appA}-${pa.name}`, input!);
  await waitForGroupCaughtUp(admin, `${appB}-${pb.name}`, input!);

  const resA = appResources(appA, [pa]);
  assert.deepEqual(resA.topics, [changelogTopic(appA, pa.store)]);
  await assert.rejects(deleteAppResources(admin, resA), (err: unknown) => err instanceof FmeaflowError && err.code === ErrorCodes.APP_STILL_RUNNING && err.retriable);
  assert.ok((await admin.listTopics()).includes(changelogTopic(appA, pa.store)), 'a refused reset deletes nothing');

  await wa.stop();
  await wb.stop();
  const report = await deleteAppResources(admin, resA);
  assert.deepEqual(report, { deletedTopics: [changelogTopic(appA, pa.store)], deletedGroups: [`${appA}-${pa.name}`] });
  const topics = await admin.listTopics();
  assert.ok(!topics.includes(changelogTopic(appA, pa.store)));
  assert.ok(topics.includes(changelogTopic(appB, pb.store)), 'the other app keeps its changelog');
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
  assert.ok(!groups.includes(`${appA}-${pa.name}`));
  assert.ok(groups.includes(`${appB}-${pb.name}`), 'the other app keeps its group');

  // A second reset finds nothing left.
  assert.deepEqual(await deleteAppResources(admin, resA), { deletedTopics: [], deletedGroups: [] });

  // Restarted under the reset id: input from the beginning, empty state, so each key counts 1..n a second time.
  await start(appA, pa);
  await waitForGroupCaughtUp(admin, `${appA}-${pa.name}`, input!);
  const counts = (await readAll(outA!)).map((r) => JSON.parse(r.value!.toString()) as { key: string; count: number });
  for (const k of keys) {
    const n = wire.filter((w) => w.key === k).length;
    const once = Array.from({ length: n }, (_, i) => i + 1);
    assert.deepEqual(counts.filter((c) => c.key === k).map((c) => c.count), [...once, ...once], `counts of ${k}`);
  }
});
