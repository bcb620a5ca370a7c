import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createKafka } from '../../../streams/runtime/kafka/client.ts';
import { provisionTopics } from '../../../streams/runtime/admin/topic-provisioner.ts';
import { stackEndpoints } from '../../../streams/runtime/stack/stack.ts';

const brokers = stackEndpoints().brokers;

test('topic provisioning is idempotent and reports a topic whose configuration differs', async (t) => {
  const admin = createKafka('test-topics', brokers, 8, true).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const id = randomUUID().slice(0, 8);
  const specs = [
    { name: `t-${id}-events`, partitions: 3, cleanupPolicy: 'delete' as const, retentionMs: 3_600_000 },
    { name: `t-${id}-latest`, partitions: 2, cleanupPolicy: 'compact' as const, retentionMs: -1 },
  ];
  const first = await provisionTopics(admin, specs);
  assert.deepEqual(first.created.sort(), specs.map((s) => s.name).sort());
  assert.deepEqual(first.drift, []);

  const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  assert.deepEqual(meta.topics.map((m) => [m.name, m.partitions.length]).sort(), specs.map((s) => [s.name, s.partitions]).sort());

  const second = await provisionTopics(admin, specs);
  assert.deepEqual(second.created, [], 'nothing is created twice');
  assert.deepEqual(second.drift, []);

  // An operator (or an older release) created the topic differently: report, do not silently change.
  const changed = [{ ...specs[0]!, partitions: 6, cleanupPolicy: 'compact' as const }, specs[1]!];
  const third = await provisionTopics(admin, changed);
  assert.deepEqual(
    third.drift.map((d) => `${d.topic}:${d.setting}:${d.actual}->${d.expected}`).sort(),
    [`${specs[0]!.name}:cleanup.policy:delete->compact`, `${specs[0]!.name}:partitions:3->6`].sort(),
  );
  await admin.deleteTopics({ topics: specs.map((s) => s.name) });
});
