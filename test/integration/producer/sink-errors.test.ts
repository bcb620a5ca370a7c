/**
 * The sink's failures are typed: an unreachable broker without a spool, records sent before
 * start(), and a send the real broker refuses each raise an FmeaflowError with a stable code,
 * a retriable flag and a message naming what failed — never a bare kafkajs error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { brokers } from '../../../streams/runtime/kafka/connection.ts';
import { KafkaSink } from '../../../vehicle-producer/publish/kafka-sink.ts';
import { closedPort } from './helpers.ts';

test('broker down and no spool: start() fails with KAFKA_BROKER_UNREACHABLE (retriable) naming the broker and the fix', async () => {
  const addr = `127.0.0.1:${await closedPort()}`;
  const sink = new KafkaSink({ brokers: [addr], connectionTimeoutMs: 300 });
  await assert.rejects(sink.start(), (e: unknown) => {
    assert.ok(e instanceof FmeaflowError, `typed error, got ${String(e)}`);
    assert.equal(e.code, ErrorCodes.BROKER_UNREACHABLE);
    assert.equal(e.retriable, true);
    assert.ok(e.message.includes(addr), e.message);
    assert.match(e.message, /--spool-dir/);
    return true;
  });
  await sink.close();
});

test('records flushed before start(): a typed configuration error, not a bare Error', async () => {
  const sink = new KafkaSink({ brokers: brokers() });
  await sink.send('t', 'k', Buffer.from('x'));
  await assert.rejects(sink.flush(), (e: unknown) => e instanceof FmeaflowError && e.code === ErrorCodes.BAD_CONFIG && /start\(\)/.test(e.message));
  await sink.close();
});

test('a send the broker refuses (invalid topic name): KAFKA_PRODUCE_FAILED naming the topic, with the broker\'s retriable verdict', async () => {
  const sink = new KafkaSink({ brokers: brokers() });
  await sink.start();
  try {
    await sink.send('bad topic name!', 'k', Buffer.from('x'));
    await assert.rejects(sink.flush(), (e: unknown) => {
      assert.ok(e instanceof FmeaflowError, `typed error, got ${String(e)}`);
      assert.equal(e.code, ErrorCodes.PRODUCE_FAILED);
      assert.equal(e.retriable, false, 'an invalid topic name does not get better by retrying');
      assert.match(e.message, /bad topic name!/);
      return true;
    });
  } finally {
    await sink.close();
  }
});
