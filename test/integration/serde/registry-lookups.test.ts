/**
 * Schema-id lookups against the real registry and against addresses where it is down: an id the registry does not
 * know is SERDE_UNKNOWN_SCHEMA_ID (a record for the DLQ) and is answered from a bounded negative cache for a while,
 * so a stream of such records does not cost a request each; an unreachable or silent registry is retried with
 * backoff, every failure reported, and ends in a retriable REGISTRY_UNREACHABLE (the runner re-reads the batch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import type { RegistryErrorKind } from '../../../streams/runtime/serde/registry-client.ts';
import { frame } from '../../../streams/runtime/serde/wire-format.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { freePort } from '../../helpers/ports.ts';

const BODY = Buffer.from([2, 0x41]);
const unknownIdRecord = (id: number): Buffer => frame(id, BODY);

async function codeOf(p: Promise<unknown>): Promise<FmeaflowError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof FmeaflowError, String(err));
    return err;
  }
  assert.fail('expected an error');
}

test('unknown schema ids: SERDE_UNKNOWN_SCHEMA_ID, one registry request per id and TTL, at most negativeCacheSize ids kept', async () => {
  let now = 1_000_000;
  const events: { kind: RegistryErrorKind; cached: boolean }[] = [];
  const serde = createSerde({ registryLookup: { negativeTtlMs: 60_000, negativeCacheSize: 2, nowMs: () => now, onError: (e) => events.push(e) } });
  const [a, b, c] = [0x7ffffff1, 0x7ffffff2, 0x7ffffff3];
  for (let i = 0; i < 20; i++) {
    const err = await codeOf(serde.decode('t', unknownIdRecord(a)));
    assert.equal(err.code, ErrorCodes.UNKNOWN_SCHEMA_ID);
    assert.equal(err.retriable, false, 'a record with an unknown id goes to the DLQ, it is not re-read');
    assert.match(err.message, /schema id 2147483633/);
  }
  assert.equal(serde.registryRequests, 1, '20 records of one unknown id: one request');
  assert.deepEqual(events.filter((e) => !e.cached).map((e) => e.kind), ['not_found']);
  assert.equal(events.filter((e) => e.cached).length, 19);

  now += 60_001;
  await codeOf(serde.decode('t', unknownIdRecord(a)));
  assert.equal(serde.registryRequests, 2, 'asked again once the TTL passed (the id may have been registered since)');

  await codeOf(serde.decode('t', unknownIdRecord(b)));
  await codeOf(serde.decode('t', unknownIdRecord(c)));
  assert.equal(serde.registryRequests, 4);
  await codeOf(serde.decode('t', unknownIdRecord(a)));
  assert.equal(serde.registryRequests, 5, 'the oldest id left the cache when a third one came');
});

test('an unreachable registry: the lookup is tried `attempts` times, each failure reported, then REGISTRY_UNREACHABLE (retriable)', async () => {
  const events: RegistryErrorKind[] = [];
  const serde = createSerde({ registryUrl: `http://127.0.0.1:${await freePort()}/apis/ccompat/v7`, registryLookup: { attempts: 3, backoffMs: 5, onError: (e) => events.push(e.kind) } });
  const err = await codeOf(serde.decode('t', unknownIdRecord(7)));
  assert.equal(err.code, ErrorCodes.REGISTRY_UNREACHABLE);
  assert.equal(err.retriable, true);
  assert.deepEqual(events, ['unreachable', 'unreachable', 'unreachable']);
  assert.equal(serde.registryRequests, 3);
  // An outage is not remembered: the next record asks again.
  await codeOf(serde.decode('t', unknownIdRecord(7)));
  assert.equal(serde.registryRequests, 6);
});

test('a registry that accepts the connection and never answers times out per request', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((s) => sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    silent.close();
  });
  const events: RegistryErrorKind[] = [];
  const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  const serde = createSerde({ registryUrl: url, registryLookup: { attempts: 2, backoffMs: 5, requestTimeoutMs: 200, onError: (e) => events.push(e.kind) } });
  const err = await codeOf(serde.decode('t', unknownIdRecord(8)));
  assert.equal(err.code, ErrorCodes.REGISTRY_UNREACHABLE);
  assert.equal(err.retriable, true);
  assert.match(err.message, /did not answer within 200 ms/);
  assert.deepEqual(events, ['timeout', 'timeout']);
});
