/**
 * The local registry keeps its schemas across a restart, as the broker keeps its topics: a record
 * written before `stack down`/`stack up` still decodes afterwards (an in-memory registry forgot the id).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRegistry, stopRegistry } from '../../../streams/runtime/stack/registry-server.ts';
import { registryUrlOf, type RegistryInstanceConfig } from '../../../streams/runtime/stack/stack-config.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { freePort } from '../../helpers/ports.ts';

// A private registry on its own port and data directory, so restarting it cannot disturb other tests.
async function privateRegistry(): Promise<RegistryInstanceConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-registry-'));
  return { host: '127.0.0.1', port: await freePort(), runDir: dir, dataDir: path.join(dir, 'data'), heapMb: 384 };
}

test('schemas registered before a registry restart still resolve after it: old records decode', { timeout: 240_000 }, async (t) => {
  const r = await privateRegistry();
  t.after(async () => {
    await stopRegistry(r);
    fs.rmSync(r.runDir, { recursive: true, force: true });
  });
  const registryUrl = registryUrlOf(r);
  assert.equal((await startRegistry(r)).started, true);
  const before = createSerde({ registryUrl });
  await before.registerAll([{ name: 'restart-metrics', schema: 'metric.avsc' }]);
  const metric = { vehicleId: 'V1', name: 'speed', labels: {}, kind: 'GAUGE', timestampMs: 1_700_000_000_000, value: 42, histogram: null, unit: null };
  const wire = before.encodeSync('restart-metrics', metric);

  assert.equal(await stopRegistry(r), true, 'the registry this test started stops');
  assert.equal((await startRegistry(r)).started, true, 'a new registry process starts on the same data');
  // A fresh serde has no cached ids: the schema id in the record must come from the restarted registry.
  const after = createSerde({ registryUrl });
  assert.deepEqual({ ...(await after.decode('restart-metrics', wire)) as object }, metric);
});
