/**
 * Kafka error classification: the runner rejoins on group-membership errors, gives a partition up
 * when its producer is fenced, and retries only what a repeat can fix. kafkajs wraps broker errors
 * in retry errors, so the classification must look through causes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canRetry, concurrentTransactions, needsRejoin, producerFenced } from '../../../streams/runtime/kafka/kafka-errors.ts';

const broker = (type: string, retriable = false): Error => Object.assign(new Error(type.toLowerCase()), { name: 'KafkaJSProtocolError', type, retriable });
const wrapped = (cause: Error): Error => Object.assign(new Error('retries exhausted'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: cause, retriable: false });

test('group-membership errors need a rejoin, also when kafkajs wrapped them', () => {
  for (const t of ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR', 'FENCED_INSTANCE_ID']) {
    assert.equal(needsRejoin(broker(t, true)), true, t);
    assert.equal(needsRejoin(wrapped(broker(t, true))), true, `wrapped ${t}`);
    assert.equal(needsRejoin({ cause: { type: t } }), true, `cause ${t}`);
    assert.equal(canRetry(broker(t, true)), false, `${t} is not retried in place`);
  }
  assert.equal(needsRejoin(broker('INVALID_PRODUCER_EPOCH')), false);
});

test('a fenced producer is told apart from a rejoin and is never retried', () => {
  for (const t of ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']) {
    assert.equal(producerFenced(broker(t)), true, t);
    assert.equal(producerFenced(wrapped(broker(t))), true, `wrapped ${t}`);
    assert.equal(needsRejoin(broker(t)), false, t);
    assert.equal(canRetry(broker(t, true)), false, t);
  }
  assert.equal(producerFenced(broker('REBALANCE_IN_PROGRESS')), false);
});

test('canRetry: the broker\'s retriable flag, an unreachable broker yes; authorisation, plain errors and garbage no', () => {
  assert.equal(canRetry(broker('LEADER_NOT_AVAILABLE', true)), true);
  assert.equal(canRetry(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' })), true);
  assert.equal(canRetry(broker('TOPIC_AUTHORIZATION_FAILED', true)), false);
  assert.equal(canRetry(new Error('boom')), false);
  for (const junk of [undefined, null, 42, 'REBALANCE_IN_PROGRESS', {}, { type: 7 }]) {
    assert.equal(canRetry(junk), false);
    assert.equal(needsRejoin(junk), false);
    assert.equal(producerFenced(junk), false);
  }
});

test('a cause cycle does not hang the classification', () => {
  const a: Record<string, unknown> = { type: 'X' };
  a.cause = a;
  assert.equal(needsRejoin(a), false);
});

test('CONCURRENT_TRANSACTIONS counts only on the error itself', () => {
  assert.equal(concurrentTransactions(broker('CONCURRENT_TRANSACTIONS', true)), true);
  assert.equal(concurrentTransactions(wrapped(broker('CONCURRENT_TRANSACTIONS', true))), false);
});
