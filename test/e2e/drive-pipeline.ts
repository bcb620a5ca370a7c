/**
 * Test helper: plays recorded drives through the whole topology. `offline` uses the replay
 * runtime (deterministic, no broker); the Kafka variant lives in the e2e tests themselves.
 */
import path from 'node:path';
import type { OutputRecord } from '../../streams/processors/processor.ts';
import { replayEngine, ruleRecordsOf } from '../../streams/replay-engine.ts';
import type { ReplayRecord } from '../../streams/runtime/replay/replay.ts';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';
import { DRIVE_TIMING } from '../../streams/topology.ts';
import { driveRecords as recordedDriveRecords } from '../../vehicle-producer/publish/recorded-records.ts';

export const DRIVES_DIR = path.join(PROJECT_ROOT, 'drives');

/** The rule files bundled in fmea-rules/ as fmea.rules.v1 records. */
export function bundledRuleRecords(): ReplayRecord[] {
  return ruleRecordsOf(path.join(PROJECT_ROOT, 'fmea-rules'), 'e2e');
}

/** Every record a replay of the bundled `drives` would publish, in publication order. */
export async function driveRecords(drives: readonly string[]): Promise<ReplayRecord[]> {
  return (await recordedDriveRecords(drives.map((d) => path.join(DRIVES_DIR, d)))).records;
}

/** Runs the topology over drives in the replay runtime, windows closed at the end (with `ruleRecords` instead of the bundled rules when given); returns its outputs per topic. */
export async function runOffline(drives: readonly string[], app = 'e2e', ruleRecords: readonly ReplayRecord[] = bundledRuleRecords()): Promise<Record<string, OutputRecord[]>> {
  return replayEngine(await driveRecords(drives), { app, timing: DRIVE_TIMING, ruleRecords }).outputs;
}
