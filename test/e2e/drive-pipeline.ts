/**
 * Test helper: plays recorded drives through the whole topology. `offline` uses the replay
 * runtime (deterministic, no broker); the Kafka variant lives in the e2e tests themselves.
 */
import path from 'node:path';
import { expandRuleFiles, readRuleFiles } from '../../streams/fmea/rule-files.ts';
import { toRuleSetRecords } from '../../streams/fmea/rule-set-records.ts';
import type { OutputRecord } from '../../streams/processors/processor.ts';
import { replay, type ReplayRecord } from '../../streams/runtime/replay/replay.ts';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';
import { DEFAULT_PARTITIONS, TOPIC_SPECS, Topics } from '../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING, repartitionTopicOf } from '../../streams/topology.ts';
import { driveRecords as recordedDriveRecords } from '../../streams/runtime/replay/recorded-inputs.ts';

export const DRIVES_DIR = path.join(PROJECT_ROOT, 'drives');

/** The rule files bundled in fmea-rules/ as fmea.rules.v1 records. */
export function bundledRuleRecords(): ReplayRecord[] {
  const files = readRuleFiles(expandRuleFiles([path.join(PROJECT_ROOT, 'fmea-rules')]));
  return toRuleSetRecords(files, 0, 'e2e').map((r) => ({ topic: Topics.rules, key: r.worksheet, value: r }));
}

/** Every record a replay of the bundled `drives` would publish, in publication order. */
export function driveRecords(drives: readonly string[]): Promise<ReplayRecord[]> {
  return recordedDriveRecords(drives.map((d) => path.join(DRIVES_DIR, d)));
}

/** Runs the topology over drives in the replay runtime (with `ruleRecords` instead of the bundled rules when given); returns its outputs per topic. */
export async function runOffline(drives: readonly string[], app = 'e2e', ruleRecords: readonly ReplayRecord[] = bundledRuleRecords()): Promise<Record<string, OutputRecord[]>> {
  const processors = buildTopology({ app, timing: DRIVE_TIMING });
  const partitions: Record<string, number> = Object.fromEntries(TOPIC_SPECS.map((t) => [t.name, t.partitions]));
  for (const name of ['spans-by-service', 'can-features-fleet', 'fmea-evidence', 'log-clusters-fleet']) partitions[repartitionTopicOf(app, name)] = DEFAULT_PARTITIONS;
  const records = [...ruleRecords, ...(await driveRecords(drives))];
  return replay(processors, records, { partitions }).outputs;
}
