/**
 * The retry around transactional calls: the broker's CONCURRENT_TRANSACTIONS answer (sent
 * while the previous transaction's markers are still being written) is retried with
 * backoff; every other error, and a persistent CONCURRENT_TRANSACTIONS, still fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryConcurrentTransactions } from '../../../streams/runtime/kafka/committer.ts';

const concurrent = (): Error => Object.assign(new Error('The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'), { type: 'CONCURRENT_TRANSACTIONS' });

test('CONCURRENT_TRANSACTIONS is retried until the call succeeds', async () => {
  let calls = 0;
  const v = await retryConcurrentTransactions(async () => {
    calls++;
    if (calls < 3) throw concurrent();
    return 'ok';
  }, [1, 1, 1]);
  assert.equal(v, 'ok');
  assert.equal(calls, 3);
});

test('other errors are not retried', async () => {
  let calls = 0;
  const fenced = Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH' });
  await assert.rejects(
    retryConcurrentTransactions(async () => {
      calls++;
      throw fenced;
    }, [1, 1, 1]),
    (e) => e === fenced,
  );
  assert.equal(calls, 1);
});

test('a CONCURRENT_TRANSACTIONS that does not clear fails after the backoff schedule', async () => {
  let calls = 0;
  await assert.rejects(
    retryConcurrentTransactions(async () => {
      calls++;
      throw concurrent();
    }, [1, 1]),
    (e: unknown) => (e as { type?: string }).type === 'CONCURRENT_TRANSACTIONS',
  );
  assert.equal(calls, 3);
});
