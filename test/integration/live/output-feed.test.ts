/**
 * The output feed (demo board, live view, e2e tests) on the real broker: it follows a topic
 * under its own random consumer group and deletes that group when stopped, so runs leave
 * no `fmeaflow-feed-*` groups behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followOutputs, type FeedRecord } from '../../../streams/runtime/live/output-feed.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { freshTopics, testAdmin, testKafka, testProducer, waitFor } from '../../helpers/kafka.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

test('a stopped feed has deleted its consumer group; stopping twice is harmless', async (t) => {
  const [topic] = await freshTopics(t, [{ prefix: 'feed' }]);
  const admin = await testAdmin(t);
  const seen: FeedRecord[] = [];
  const feed = await followOutputs(testKafka(), createSerde(), [topic!], (r) => seen.push(r), { fromBeginning: true });
  let stopped = false;
  t.after(() => (stopped ? undefined : feed.stop()));
  assert.match(feed.groupId, /^fmeaflow-feed-[0-9a-f]{12}$/);
  const producer = await testProducer(t);
  await producer.send({ topic: topic!, messages: [{ key: 'k', value: null }] });
  await waitFor(() => seen.length === 1, { what: 'the feed to deliver the record' });
  assert.ok((await admin.listGroups()).groups.some((g) => g.groupId === feed.groupId), 'group exists while following');

  await feed.stop();
  await feed.stop();
  stopped = true;
  assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === feed.groupId), `${feed.groupId} is gone after stop`);
});
