/**
 * The live feed decodes engine outputs with the same bounded decode as the engine: a CAN batch body announcing 2^26
 * frames (issue 14) is reported to onDecodeError as SERDE_BLOCK_COUNT_EXCEEDED and the feed goes on to the next record,
 * where the unbounded decode took the process down with a heap out-of-memory abort.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followOutputs, type FeedRecord } from '../../../streams/runtime/live/output-feed.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { frame } from '../../../streams/runtime/serde/wire-format.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { freshTopics, testKafka, testProducer, waitFor } from '../../helpers/kafka.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

test('a poison CAN batch in a followed topic is a decode error with its code; the next record is delivered', async (t) => {
  const [topic] = await freshTopics(t, [{ prefix: 'feed-poison' }]);
  const serde = createSerde();
  const id = await serde.register({ name: topic!, schema: 'can-frame-batch.avsc' });
  const seen: FeedRecord[] = [];
  const errors: unknown[] = [];
  const feed = await followOutputs(testKafka(), serde, [topic!], (r) => seen.push(r), { fromBeginning: true, onDecodeError: (_topic, err) => errors.push(err) });
  t.after(() => feed.stop());
  const producer = await testProducer(t);
  const good = { vehicleId: 'V1', bus: 'main', bitrateBps: null, seq: 1, batchStartUs: 1, batchEndUs: 2, frames: [], droppedFrames: 0 };
  await producer.send({ topic: topic!, messages: [
    { key: 'V1', value: frame(id, Buffer.from('0256026d0000000080808040', 'hex')) },
    { key: 'V1', value: serde.encodeSync(topic!, good) },
  ] });
  await waitFor(() => seen.length === 1, { what: 'the good record after the poison one' });
  assert.equal((seen[0]!.value as { seq: number }).seq, 1);
  assert.equal(errors.length, 1);
  assert.ok(errors[0] instanceof FmeaflowError && errors[0].code === ErrorCodes.BLOCK_COUNT_EXCEEDED, String(errors[0]));
});
