/**
 * Serde against the real registry and broker: every schema in `schemas/` round-trips its
 * example through Kafka; incompatible changes, bad bytes and an unreachable registry
 * each fail with their own error code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createSerde, listSchemaFiles } from '../../../streams/runtime/serde/serde.ts';
import { parseJsonWithBytes, toJsonSafe } from '../../../streams/runtime/serde/json-bytes.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { freshTopics, readAll, testProducer, uniqueName } from '../../helpers/kafka.ts';

const SCHEMAS = resolve('schemas');

/** Plain JSON view (class instances, Buffers → $bytes) so values compare structurally. */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(toJsonSafe(v)));
}

/** The example with omitted top-level fields filled from the schema's declared defaults. */
function withDefaults(schemaFile: string, example: Record<string, unknown>): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(join(SCHEMAS, schemaFile), 'utf8')) as { fields: { name: string; default?: unknown }[] };
  const out = { ...example };
  for (const f of schema.fields) if (!(f.name in out) && 'default' in f) out[f.name] = f.default;
  return out;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<FmeaflowError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof FmeaflowError, `expected FmeaflowError, got ${err}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, nothing was thrown`);
}

test('every schema has an example and the example round-trips through the registry and Kafka', async (t) => {
  const files = listSchemaFiles(SCHEMAS);
  assert.ok(files.length >= 8, `expected the catalog's schemas, found ${files.length}`);
  const withoutExample = files.filter((f) => !existsSync(join(SCHEMAS, 'examples', `${basename(f, '.avsc')}.json`)));
  assert.deepEqual(withoutExample, [], `schemas without schemas/examples/<stem>.json: ${withoutExample.join(', ')}`);

  const topics = await freshTopics(t, files.map((f) => ({ prefix: `serde-${basename(f, '.avsc')}` })));
  const bindings = files.map((f, i) => ({ name: topics[i]!, schema: f }));
  const serde = createSerde();
  const { registered } = await serde.registerAll(bindings);
  assert.equal(registered.size, files.length);

  const producer = await testProducer(t);
  const examples = new Map<string, Record<string, unknown>>();
  for (const b of bindings) {
    const example = parseJsonWithBytes(readFileSync(join(SCHEMAS, 'examples', `${basename(b.schema, '.avsc')}.json`), 'utf8')) as Record<string, unknown>;
    examples.set(b.name, example);
    const value = await serde.encode(b.name, example);
    assert.equal(value[0], 0, 'magic byte');
    assert.equal(value.readUInt32BE(1), registered.get(b.name));
    await producer.send({ topic: b.name, messages: [{ key: 'k', value }] });
  }
  // A fresh serde (empty caches) reads them back: ids resolve through the registry.
  const reader = createSerde();
  for (const b of bindings) {
    const [rec] = await readAll(b.name);
    assert.ok(rec?.value, `nothing read back from ${b.name}`);
    const decoded = await reader.decode(b.name, rec.value);
    assert.deepEqual(plain(decoded), plain(withDefaults(b.schema, examples.get(b.name)!)), `round trip of ${b.schema}`);
  }
});

test('schema ids are cached: decoding many records of one id asks the registry once', async () => {
  const writer = createSerde();
  const topic = uniqueName('serde-cache');
  await writer.register({ name: topic, schema: 'rule-set.avsc' });
  const value = { worksheet: 'w', sourceFile: 'f.yaml', yaml: 'a: 1', sha256: 'ab', publishedAtMs: 1_700_000_000_123, publishedBy: null };
  const bufs = Array.from({ length: 50 }, () => writer.encodeSync(topic, value));
  const before = writer.registryRequests;
  for (let i = 0; i < 50; i++) writer.encodeSync(topic, value);
  await writer.register({ name: topic, schema: 'rule-set.avsc' });
  assert.equal(writer.registryRequests, before, 'encode/re-register must not call the registry again');

  const reader = createSerde();
  const decoded = await Promise.all(bufs.map((b) => reader.decode(topic, b)));
  assert.equal(reader.registryRequests, 1, 'one lookup for one schema id');
  assert.equal((decoded[49] as { publishedAtMs: number }).publishedAtMs, 1_700_000_000_123, 'timestamp-millis stays a plain number');
});

test('an incompatible schema change is rejected and the message names the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-schemas-'));
  const v1 = { type: 'record', name: 'Probe', namespace: 'dev.fmeaflow.test', doc: 'd', fields: [{ name: 'vehicleId', type: 'string', doc: 'd' }] };
  const v2 = { ...v1, fields: [...v1.fields, { name: 'torqueNm', type: 'double', doc: 'added without a default' }] };
  const v3 = { ...v1, fields: [...v1.fields, { name: 'torqueNm', type: ['null', 'double'], default: null, doc: 'added with a default' }] };
  writeFileSync(join(dir, 'v1.avsc'), JSON.stringify(v1));
  writeFileSync(join(dir, 'v2.avsc'), JSON.stringify(v2));
  writeFileSync(join(dir, 'v3.avsc'), JSON.stringify(v3));
  const serde = createSerde({ schemasDir: dir });
  const topic = uniqueName('serde-compat');
  const id1 = await serde.register({ name: topic, schema: 'v1.avsc' });
  const err = await expectCode(serde.register({ name: topic, schema: 'v2.avsc' }), ErrorCodes.SCHEMA_INCOMPATIBLE);
  assert.match(err.message, /'torqueNm'/);
  assert.match(err.message, new RegExp(`${topic}-value`));
  // A compatible change (new field with a default) is accepted, and old records still decode.
  const old = serde.encodeSync(topic, { vehicleId: 'v-1' });
  const id3 = await serde.register({ name: topic, schema: 'v3.avsc' });
  assert.notEqual(id3, id1);
  assert.deepEqual(plain(await serde.decode(topic, old)), { vehicleId: 'v-1', torqueNm: null });
});

test('bad bytes give typed errors', async () => {
  const serde = createSerde();
  const topic = uniqueName('serde-bad');
  await serde.register({ name: topic, schema: 'metric.avsc' });
  const good = serde.encodeSync(topic, { vehicleId: 'v', name: 'm', labels: {}, kind: 'GAUGE', timestampMs: 1, value: 2.5, histogram: null, unit: null });

  const wrongMagic = Buffer.from(good);
  wrongMagic[0] = 1;
  await expectCode(serde.decode(topic, wrongMagic), ErrorCodes.BAD_MAGIC_BYTE);
  await expectCode(serde.decode(topic, Buffer.from('{"json":true}')), ErrorCodes.BAD_MAGIC_BYTE);

  const unknownId = Buffer.from(good);
  unknownId.writeUInt32BE(0x7ffffff0, 1);
  await expectCode(serde.decode(topic, unknownId), ErrorCodes.UNKNOWN_SCHEMA_ID);

  await expectCode(serde.decode(topic, good.subarray(0, 3)), ErrorCodes.TRUNCATED_PAYLOAD);
  await expectCode(serde.decode(topic, good.subarray(0, good.length - 3)), ErrorCodes.TRUNCATED_PAYLOAD);
  await expectCode(serde.decode(topic, Buffer.alloc(0)), ErrorCodes.TRUNCATED_PAYLOAD);

  const mismatch = await expectCode(() => serde.encodeSync(topic, { vehicleId: 'v', name: 'm', labels: {}, kind: 'GAUGE', timestampMs: 'yesterday', value: 2.5, histogram: null, unit: null }), ErrorCodes.SCHEMA_MISMATCH);
  assert.match(mismatch.message, /timestampMs/);
  const nested = await expectCode(() => serde.encodeSync(topic, { vehicleId: 'v', name: 'm', labels: {}, kind: 'HISTOGRAM', timestampMs: 1, value: null, histogram: { bounds: [1], counts: [1, 'x'], sum: 1, count: 2 }, unit: null }), ErrorCodes.SCHEMA_MISMATCH);
  assert.match(nested.message, /histogram\.counts\[1\]/);
});

test('an unreachable registry names the URL and how to start one', async () => {
  const url = 'http://127.0.0.1:1/apis/ccompat/v7';
  const serde = createSerde({ registryUrl: url });
  const err = await expectCode(serde.register({ name: uniqueName('serde-down'), schema: 'metric.avsc' }), ErrorCodes.REGISTRY_UNREACHABLE);
  assert.match(err.message, /127\.0\.0\.1:1/);
  assert.match(err.message, /npx tsx streams\/cli\.ts stack up/);
  const decodeErr = await expectCode(serde.decode('t', Buffer.from([0, 0, 0, 0, 9, 2])), ErrorCodes.REGISTRY_UNREACHABLE);
  assert.match(decodeErr.message, /stack up/);
});
