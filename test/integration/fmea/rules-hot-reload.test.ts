/**
 * Rules hot reload through the real broker and registry: `rules publish` writes Avro
 * records to a fresh compacted rules topic, they are read back and decoded with the serde,
 * and the evaluation processor reloads them from that table — accepting a good version,
 * refusing a broken one while the last good set stays active, then accepting a fix.
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
import { ACTIVE_RULES_KEY, type ActiveRulesState, type RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { createSerde } from '../../../streams/runtime/serde/serde.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { freshTopics, readAll } from '../../helpers/kafka.ts';
import { Driver } from '../../unit/fmea/harness.ts';

test('published rule sets hot-reload; a broken one is refused and the last good stays active', async (t) => {
  const [topic] = await freshTopics(t, [{ prefix: 'fmea-rules-it', compact: true }]);
  const serde = createSerde();
  await serde.register({ name: topic!, schema: 'rule-set.avsc' });
  const dir = mkdtempSync(join(tmpdir(), 'fmea-rules-'));
  const good = readFileSync('fmea-rules/can-network.yaml', 'utf8');
  const file = join(dir, 'can-network.yaml');

  const driver = new Driver(createFmeaEvaluateProcessor({ occurrenceTable: loadOccurrenceTable(), fleetSize: 100 }));
  let published = 0;
  const syncTable = async (): Promise<void> => {
    const records = await readAll(topic!);
    assert.equal(records.length, published);
    const table = new Map<string, RuleSetRecord>();
    for (const r of records) table.set(r.key!.toString(), (await serde.decode(topic!, r.value!)) as RuleSetRecord);
    driver.tables.set(Topics.rules, table as Map<string, unknown>);
  };
  let n = 0;
  const severityFor = (vehicle: string): number | undefined => {
    const out = driver.feed(Topics.canFeatures, { vehicleId: vehicle, bus: 'main', windowStartMs: n * 10_000, windowEndMs: ++n * 10_000, features: { id_collision_share: 0.5, error_frame_share: 0.1 }, dtcCodes: [] } as never) as FmeaAction[];
    return out.find((a) => a.key === `S-ODS-08|vehicle:${vehicle}`)?.severity;
  };

  writeFileSync(file, good);
  await publishRuleFiles([file], { topic: topic!, publishedBy: 'integration-test' });
  published++;
  await syncTable();
  assert.equal(severityFor('V1'), 8);

  // lint refuses to publish the broken version …
  writeFileSync(file, good.replace('severity: 8', 'severity: 11'));
  await assert.rejects(publishRuleFiles([file], { topic: topic! }), (e: unknown) => e instanceof FmeaflowError && e.code === 'RULE_INVALID' && /severity/.test(e.message));
  // … and a worker that receives it anyway keeps the last good set
  await publishRuleFiles([file], { topic: topic!, skipLint: true });
  published++;
  await syncTable();
  assert.equal(severityFor('V2'), 8);
  const state = driver.store.get(ACTIVE_RULES_KEY) as ActiveRulesState;
  assert.match(state.refused!.issues.join('\n'), /severity/);

  writeFileSync(file, good.replace('severity: 8', 'severity: 9'));
  await publishRuleFiles([file], { topic: topic! });
  published++;
  await syncTable();
  assert.equal(severityFor('V3'), 9);
});
