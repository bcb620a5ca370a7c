/**
 * Model scope on the real broker and registry: a drive replay publishes its vehicles to the
 * registry topic, a worker running the FMEA evaluation reads it as a global table, and CAN
 * feature evidence that names only a vehicle id activates the model scope of that vehicle's
 * model, with the share computed over that model's registered vehicles.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { publishRuleFiles } from '../../../streams/fmea/publish.ts';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { runWorker } from '../../../streams/runtime/kafka/worker.ts';
import { registryUrl } from '../../../streams/runtime/kafka/connection.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { topicSpec, Topics } from '../../../streams/topic-catalog.ts';
import { readDriveEntry } from '../../../vehicle-producer/drive/drive-manifest.ts';
import { driveRegistrations, vehicleEncoder } from '../../../vehicle-producer/publish/vehicle-registry.ts';
import { freshTopics, testProducer, uniqueName, waitFor } from '../../helpers/kafka.ts';
import { followActions } from './action-feed.ts';
import { renamedTopics } from './renamed-topics.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

test('the vehicle registry on the broker gives CAN feature evidence its model: the model scope activates for that model only', async (t) => {
  const [canFeatures, actionsTopic, rules, vehicles, late, dlq] = await freshTopics(t, [
    { prefix: 'fmea-ms-features' }, { prefix: 'fmea-ms-actions', compact: true }, { prefix: 'fmea-ms-rules', compact: true }, { prefix: 'fmea-ms-vehicles', compact: true }, { prefix: 'fmea-ms-late' }, { prefix: 'fmea-ms-dlq' },
  ]);
  await publishRuleFiles(['test/unit/fmea/fixtures/model-scope.yaml'], { topic: rules!, publishedBy: 'integration-test' });
  // The registry records a replay of the harness-reflection drive writes first (drive.json models).
  const entry = readDriveEntry(join(PROJECT_ROOT, 'drives', 'harness-reflection'));
  const registrations = driveRegistrations(entry);
  const encode = await vehicleEncoder(vehicles!, { registryUrl: registryUrl(), offline: false });
  const producer = await testProducer(t);
  await producer.send({ topic: vehicles!, acks: -1, messages: registrations.map((v) => ({ key: v.vehicleId, value: encode(v) })) });

  const fmea = createFmeaEvaluateProcessor({ occurrenceTable: loadOccurrenceTable(), inputTopics: [Topics.canFeatures] });
  const processor = renamedTopics(fmea, { [Topics.canFeatures]: canFeatures!, [Topics.actions]: actionsTopic!, [Topics.rules]: rules!, [Topics.vehicles]: vehicles! });
  const catalog = [canFeatures, actionsTopic, rules, vehicles, late, dlq].map((name, i) => ({ name: name!, schema: topicSpec([Topics.canFeatures, Topics.actions, Topics.rules, Topics.vehicles, Topics.late, Topics.dlq][i]!)!.schema }));
  const worker = await runWorker({ app: uniqueName('fmea-ms'), processors: [processor], catalog, lateTopic: late, dlqTopic: dlq, instanceId: 'ms1', handleSignals: false, sessionTimeoutMs: 6000 });
  t.after(() => worker.stop());

  const { serde, actions } = await followActions(t, catalog, actionsTopic!);

  const affected = entry.vehicles.find((v) => v.vehicleId === 'VIN-SIM-0003')!;
  const t0 = entry.baseTimeMs + 70_000;
  const value = { vehicleId: affected.vehicleId, bus: 'main', windowStartMs: t0 - 10_000, windowEndMs: t0, coveredMs: 10_000, frameCount: 5000, bitrateBps: 500_000, features: { error_frame_share: 0.2 }, missingDimensions: [], dtcCodes: [], droppedFrames: 0 };
  await producer.send({ topic: canFeatures!, acks: -1, messages: [{ key: affected.vehicleId, value: await serde.encode(canFeatures!, value) }] });

  const model = await waitFor(() => actions.get(`S-MS-01|model:${affected.model}`), { timeoutMs: 30_000, what: `S-MS-01 action for model ${affected.model}` });
  await waitFor(() => actions.get(`S-MS-01|vehicle:${affected.vehicleId}`), { timeoutMs: 30_000, what: 'the vehicle-scope action' });
  assert.equal(model.affectedVehicles, 1);
  assert.equal(model.fleetSize, entry.vehicles.filter((v) => v.model === affected.model).length);
  assert.deepEqual([...actions.keys()].filter((k) => k.includes('|model:')), [`S-MS-01|model:${affected.model}`]);
});
