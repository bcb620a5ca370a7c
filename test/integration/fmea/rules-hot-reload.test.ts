/**
 * Rules hot reload through a real worker on the real broker and registry: the FMEA evaluation
 * runs under the Kafka runtime, worksheets arrive with `rules publish`, evidence is produced
 * as Avro. A changed valid set is used without a restart; a broken one (a rating out of range,
 * a YAML alias bomb) is refused (logged with file, line and field, counted in
 * fmeaflow_rules_refused_total) and the previous set keeps producing actions.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FmeaflowError } from '../../../streams/errors.ts';
import { publishRuleFiles } from '../../../streams/fmea/publish.ts';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { runWorker } from '../../../streams/runtime/kafka/worker.ts';
import { topicSpec, Topics } from '../../../streams/topic-catalog.ts';
import { ALIAS_BOMB_FIRST_ALIAS_LINE, aliasBombWorksheet } from '../../helpers/hostile-yaml.ts';
import { freshTopics, testProducer, uniqueName, waitFor } from '../../helpers/kafka.ts';
import { followActions } from './action-feed.ts';
import { renamedTopics } from './renamed-topics.ts';

process.env.FMEAFLOW_LOG_LEVEL ??= 'warn';

const T0 = 1_764_000_000_000;

/** Structured log lines the process writes from now on (the runtime logs to stderr). */
function captureLogs(t: { after(fn: () => void): void }): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    for (const l of String(chunk).split('\n')) {
      if (l.startsWith('{')) {
        try { lines.push(JSON.parse(l) as Record<string, unknown>); } catch { /* not a log line */ }
      }
    }
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  t.after(() => { process.stderr.write = write; });
  return lines;
}

test('a worker hot-reloads published rules; a broken set is refused, logged and counted, and the previous one keeps producing actions', async (t) => {
  const [canFeatures, actionsTopic, rules, late, dlq, vehicles] = await freshTopics(t, [
    { prefix: 'fmea-hr-features' }, { prefix: 'fmea-hr-actions', compact: true }, { prefix: 'fmea-hr-rules', compact: true }, { prefix: 'fmea-hr-late' }, { prefix: 'fmea-hr-dlq' }, { prefix: 'fmea-hr-vehicles', compact: true },
  ]);
  const logs = captureLogs(t);
  const dir = mkdtempSync(join(tmpdir(), 'fmea-rules-'));
  const file = join(dir, 'can-network.yaml');
  const good = readFileSync('fmea-rules/can-network.yaml', 'utf8');
  writeFileSync(file, good);
  await publishRuleFiles([file], { topic: rules!, publishedBy: 'integration-test' });

  const fmea = createFmeaEvaluateProcessor({ occurrenceTable: loadOccurrenceTable(), fleetSize: 100, inputTopics: [Topics.canFeatures] });
  const processor = renamedTopics(fmea, { [Topics.canFeatures]: canFeatures!, [Topics.actions]: actionsTopic!, [Topics.rules]: rules!, [Topics.vehicles]: vehicles! });
  const catalog = [
    { name: canFeatures!, schema: topicSpec(Topics.canFeatures)!.schema },
    { name: actionsTopic!, schema: topicSpec(Topics.actions)!.schema },
    { name: rules!, schema: topicSpec(Topics.rules)!.schema },
    { name: vehicles!, schema: topicSpec(Topics.vehicles)!.schema },
    { name: late!, schema: topicSpec(Topics.late)!.schema },
    { name: dlq!, schema: topicSpec(Topics.dlq)!.schema },
  ];
  const worker = await runWorker({ app: uniqueName('fmea-hr'), processors: [processor], catalog, lateTopic: late, dlqTopic: dlq, instanceId: 'hr1', handleSignals: false, sessionTimeoutMs: 6000 });
  t.after(() => worker.stop());

  const { serde, actions, stop: stopFeed } = await followActions(t, catalog, actionsTopic!);
  const producer = await testProducer(t);
  let n = 0;
  /** Produces harness-reflection evidence for a vehicle and waits for its S-ODS-08 action. */
  const reflectionAction = async (vehicleId: string): Promise<FmeaAction> => {
    const start = T0 + n++ * 10_000;
    const value = {
      vehicleId, bus: 'main', windowStartMs: start, windowEndMs: start + 10_000, coveredMs: 10_000, frameCount: 5000, bitrateBps: 500_000,
      features: { id_collision_share: 0.5, error_frame_share: 0.1 }, missingDimensions: [], dtcCodes: [], droppedFrames: 0,
    };
    await producer.send({ topic: canFeatures!, acks: -1, messages: [{ key: vehicleId, value: await serde.encode(canFeatures!, value) }] });
    return waitFor(() => actions.get(`S-ODS-08|vehicle:${vehicleId}`), { timeoutMs: 30_000, what: `S-ODS-08 action for ${vehicleId}` });
  };
  const metric = async (name: string) => (await worker.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const refusedTotal = async () => (await metric('fmeaflow_rules_refused_total')).reduce((s, v) => s + v.value, 0);

  assert.equal((await reflectionAction('V1')).severity, 8);
  const firstVersion = await waitFor(async () => (await metric('fmeaflow_rules_active_version'))[0], { what: 'active rule-set gauge' });

  // A changed, valid set is used by the running worker.
  writeFileSync(file, good.replace('severity: 8', 'severity: 9'));
  await publishRuleFiles([file], { topic: rules! });
  assert.equal((await reflectionAction('V2')).severity, 9);
  const secondVersion = await waitFor(async () => (await metric('fmeaflow_rules_active_version')).find((v) => v.labels.fingerprint !== firstVersion.labels.fingerprint), { what: 'gauge of the new set' });
  assert.equal((await metric('fmeaflow_rules_active_version')).length, 1, 'one active version per processor');
  assert.ok(secondVersion.value >= firstVersion.value);

  // Lint stops a broken set at publication …
  writeFileSync(file, good.replace('severity: 8', 'severity: 11'));
  await assert.rejects(publishRuleFiles([file], { topic: rules! }), (e: unknown) => e instanceof FmeaflowError && e.code === 'RULE_INVALID' && /severity/.test(e.message));
  assert.equal(await refusedTotal(), 0);
  // … and a worker that receives one anyway refuses it and keeps the previous set.
  await publishRuleFiles([file], { topic: rules!, skipLint: true });
  // Noticed from the table change alone (the evaluation's periodic rules check), before any further evidence.
  await waitFor(async () => (await refusedTotal()) === 1, { timeoutMs: 30_000, what: 'fmeaflow_rules_refused_total = 1 without new evidence' });
  assert.equal((await reflectionAction('V3')).severity, 9);
  assert.equal(await refusedTotal(), 1, 'the refused table is reported once');
  const refusal = logs.find((l) => l['event'] === 'fmea.rules.refused');
  assert.ok(refusal, 'the refusal is logged');
  assert.equal(refusal['level'], 'warn');
  assert.equal(refusal['file'], file);
  assert.equal(refusal['field'], 'entries[1].severity');
  assert.equal(refusal['code'], 'RULE_INVALID');
  assert.equal(typeof refusal['line'], 'number');
  assert.equal(refusal['keptFingerprint'], secondVersion.labels.fingerprint);
  // The same refused table is not reported again for every record.
  assert.equal((await reflectionAction('V4')).severity, 9);
  assert.equal(await refusedTotal(), 1);

  // An alias bomb (a few hundred bytes that expand to 10^10 strings): refused by publish, and
  // by the worker when it arrives anyway; the previous set still produces actions.
  writeFileSync(file, aliasBombWorksheet('can-network'));
  await assert.rejects(publishRuleFiles([file], { topic: rules! }), (e: unknown) => e instanceof FmeaflowError && e.code === 'RULE_INVALID' && /YAML alias/.test(e.message));
  await publishRuleFiles([file], { topic: rules!, skipLint: true });
  await waitFor(async () => (await refusedTotal()) === 2, { timeoutMs: 30_000, what: 'fmeaflow_rules_refused_total = 2 after the alias bomb' });
  assert.equal((await reflectionAction('V4b')).severity, 9);
  const bombRefusal = logs.filter((l) => l['event'] === 'fmea.rules.refused').at(-1)!;
  assert.deepEqual([bombRefusal['code'], bombRefusal['file'], bombRefusal['line']], ['RULE_INVALID', file, ALIAS_BOMB_FIRST_ALIAS_LINE]);
  assert.match(String(bombRefusal['error']), /YAML alias \*l0 is not accepted/);
  assert.equal(bombRefusal['keptFingerprint'], secondVersion.labels.fingerprint);

  // A fixed set is accepted again.
  writeFileSync(file, good.replace('severity: 8', 'severity: 10'));
  await publishRuleFiles([file], { topic: rules! });
  assert.equal((await reflectionAction('V5')).severity, 10);

  // An entry moved to another worksheet, both files in one publish: the worker takes the new
  // table as a whole (no duplicate-id refusal) and the entry now comes from the new worksheet.
  const at = good.indexOf('  - id: S-ODS-08');
  writeFileSync(file, good.slice(0, at));
  const moved = join(dir, 'harness.yaml');
  writeFileSync(moved, `worksheet: harness\ntitle: Harness\nkind: DFMEA\nentries:\n${good.slice(at).replace('severity: 8', 'severity: 7')}`);
  await publishRuleFiles([file, moved], { topic: rules! });
  const fromHarness = await reflectionAction('V6');
  assert.deepEqual([fromHarness.worksheet, fromHarness.severity], ['harness', 7]);
  assert.equal(await refusedTotal(), 2);
  await stopFeed();
  await worker.stop(); // before the topics are deleted
});
