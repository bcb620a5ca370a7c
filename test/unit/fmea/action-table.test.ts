/**
 * The ranked table as quality engineers read it (the latest record per key of the compacted actions topic):
 * one observed O per entry and scope kind on every row that uses it, the vehicles column counted within
 * the row's own scope, published ranks that stay current, and vehicle ids shown in full.
 * Expected values come from the occurrence table and the worksheets by hand.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import type { RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { ActionBoard } from '../../../streams/runtime/live/action-board.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';

const occurrenceTable = loadOccurrenceTable('fmea-rules/occurrence-table.yaml');
const T0 = 1_764_000_000_000;
const sheet = (name: string) => readFileSync(`fmea-rules/${name}.yaml`, 'utf8');
const record = (worksheet: string, yaml: string): RuleSetRecord => ({ worksheet, sourceFile: `${worksheet}.yaml`, yaml, sha256: createHash('sha256').update(yaml).digest('hex'), publishedAtMs: 0, publishedBy: null });

function driver(sheets: string[], cfg: { fleetSize?: number; resolveAfterMs?: number } = {}) {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable, ...cfg }));
  d.tables.set(Topics.rules, new Map(sheets.map((w) => [w, record(w, sheet(w))])));
  return d;
}

/** The compacted topic as a consumer sees it: the latest record per key. */
class Table {
  readonly latest = new Map<string, FmeaAction>();
  add(out: unknown[]): FmeaAction[] {
    for (const a of out as FmeaAction[]) this.latest.set(a.key, a);
    return out as FmeaAction[];
  }
  row(key: string): FmeaAction {
    const a = this.latest.get(key);
    assert.ok(a, `${key} published (have ${[...this.latest.keys()].join(', ')})`);
    return a;
  }
}

const eepromCluster = (vehicleId: string, t: number) => ({ clusterId: `e-${vehicleId}`, eventType: 'NEW', windowEndMs: t, templates: [{ template: 'BMS: EEPROM verify failed at block <NUM>' }], keywords: ['eeprom', 'verify'], vehicleCounts: [{ vehicleId, count: 1 }], examples: [] });
const reflection = (vehicleId: string, t: number) => ({ vehicleId, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, features: { id_collision_share: 0.4, error_frame_share: 0.05 }, dtcCodes: [] });

test('two vehicle rows of one entry show the same observed O as its fleet row, and each counts its one vehicle', () => {
  const d = driver(['bms'], { fleetSize: 100 });
  const table = new Table();
  table.add(d.feed(Topics.logClusters, eepromCluster('V1', T0)));
  // 1 of 100 = 10 per 1000 → O 7 (S-BMS-14: S 6, D 6 → RPN 252).
  assert.equal(table.row('S-BMS-14|vehicle:V1').occurrence, 7);
  table.add(d.feed(Topics.logClusters, eepromCluster('V2', T0 + 60_000)));
  // 2 of 100 = 20 per 1000 → O 8 on every row, the first vehicle's too (it showed 7 before).
  for (const key of ['S-BMS-14|vehicle:V1', 'S-BMS-14|vehicle:V2', 'S-BMS-14|fleet:fleet']) {
    const a = table.row(key);
    assert.equal(a.occurrenceObserved, 8, key);
    assert.equal(a.occurrence, 8, key);
    assert.equal(a.rpn, 6 * 8 * 6, key);
    assert.equal(a.fleetSize, 100, key);
  }
  assert.equal(table.row('S-BMS-14|vehicle:V1').affectedVehicles, 1, 'a vehicle row counts its own vehicle');
  assert.equal(table.row('S-BMS-14|vehicle:V2').affectedVehicles, 1, 'a vehicle row counts its own vehicle (was 2: the entry\'s count)');
  assert.equal(table.row('S-BMS-14|fleet:fleet').affectedVehicles, 2, 'the fleet row counts the entry\'s affected vehicles');
  // Re-publication does not pretend new evidence: V1's row keeps its update count and last seen time.
  assert.equal(table.row('S-BMS-14|vehicle:V1').updateCount, 1);
  assert.equal(table.row('S-BMS-14|vehicle:V1').lastSeenMs, T0);
});

/** Competition rank among open rows, by hand: AP (H > M > L), then RPN, then affected vehicles. */
function expectedRank(a: FmeaAction, rows: readonly FmeaAction[]): number {
  const w = (x: FmeaAction) => ({ H: 3, M: 2, L: 1 })[x.actionPriority];
  return 1 + rows.filter((b) => b.status !== 'RESOLVED' && (w(b) > w(a) || (w(b) === w(a) && (b.rpn > a.rpn || (b.rpn === a.rpn && b.affectedVehicles > a.affectedVehicles))))).length;
}

test('an action that is overtaken is re-published with its new rank, and moves back up when the leader resolves', () => {
  const d = driver(['bms', 'can-network'], { fleetSize: 100, resolveAfterMs: 3_600_000 });
  const table = new Table();
  // S-ODS-08 (S 8, O 4, D 5 = RPN 160, AP M) first: its rows rank 1.
  table.add(d.feed(Topics.canFeatures, reflection('V9', T0)));
  assert.equal(table.row('S-ODS-08|vehicle:V9').rank, 1);
  // S-BMS-14 with observed O 7 (S 6, O 7, D 6 = RPN 252): ahead of S-ODS-08 by RPN at least.
  table.add(d.feed(Topics.logClusters, eepromCluster('V1', T0 + 1000)));
  const rows = [...table.latest.values()];
  for (const a of rows) assert.equal(a.rank, expectedRank(a, rows), `${a.key}: published rank ${a.rank}`);
  assert.ok(table.row('S-ODS-08|vehicle:V9').rank > 1, 'the overtaken action was re-published');
  // S-BMS-14 goes quiet for the resolve period while S-ODS-08 keeps being seen: S-BMS-14 resolves, S-ODS-08 is first again.
  table.add(d.feed(Topics.canFeatures, reflection('V9', T0 + 3_000_000)));
  table.add(d.advanceTo(T0 + 1000 + 3_600_000));
  assert.equal(table.row('S-BMS-14|vehicle:V1').status, 'RESOLVED');
  const after = [...table.latest.values()];
  for (const a of after.filter((x) => x.status !== 'RESOLVED')) assert.equal(a.rank, expectedRank(a, after), `${a.key}: published rank ${a.rank}`);
  assert.equal(table.row('S-ODS-08|vehicle:V9').rank, 1);
});

test('the board names a vehicle-scope row\'s vehicle in full', () => {
  const board = new ActionBoard();
  const id = 'eeprom-verify-fail/VIN-SIM-0002';
  board.apply(`S-BMS-14|vehicle:${id}`, { key: `S-BMS-14|vehicle:${id}`, entryId: 'S-BMS-14', failureMode: 'EEPROM verify fail after write', scopeKind: 'vehicle', scopeId: id, severity: 6, occurrence: 8, detection: 6, rpn: 288, actionPriority: 'H', rank: 1, affectedVehicles: 1, status: 'NEW', firstSeenMs: 0, lastSeenMs: 0, evidence: {} });
  assert.ok(board.render().includes(`vehicle:${id}`), board.render());
});
