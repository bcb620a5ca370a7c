import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricRecord } from '../../../streams/processors/series/input-records.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { SourceClock } from '../../../streams/runtime/time/source-clock.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';

const T0 = Date.UTC(2026, 10, 24, 8);
const JUMP_MS = 20 * 60_000;

/** Two vehicles on one partition, a gauge per second each for two minutes; V1's clock jumps 20 min ahead at t = 60 s. */
function drive(): ReplayRecord[] {
  const recs: ReplayRecord[] = [];
  for (let i = 0; i < 120; i++) {
    for (const vehicleId of ['V1', 'V2']) {
      const t = T0 + i * 1000 + (vehicleId === 'V1' && i >= 60 ? JUMP_MS : 0);
      const m: MetricRecord = { vehicleId, name: 'coolant_temp', labels: {}, kind: 'GAUGE', timestampMs: t, value: 20 + (i % 3), histogram: null, unit: null };
      recs.push({ topic: Topics.metrics, key: vehicleId, partition: 0, value: m });
    }
  }
  return recs;
}

test('one vehicle\'s forward clock jump goes to the DLQ as CLOCK_JUMP and leaves the other vehicle on time', () => {
  const r = replay(buildTopology({ app: 'jump', timing: DRIVE_TIMING }), drive());
  const late = r.late.filter((o) => (o.value as { processor: string }).processor === 'series-drift-vehicle');
  assert.equal(late.length, 0, 'no record of V2 is late (before the fix: 60 of its 120)');
  const jumps = r.dlq.filter((o) => (o.value as { errorCode: string }).errorCode === 'CLOCK_JUMP');
  assert.equal(jumps.length, 60, 'every jumped record of V1');
  assert.ok(jumps.every((o) => o.key === 'V1'));
  assert.match((jumps[0]!.value as { errorMessage: string }).errorMessage, /^V1: event time .* is 1201 s ahead of the partition \(max 30 s\) while 1 other source\(s\) still report/);
  // V2's series keeps closing windows on its own data: up to its last record (119 s) minus the 30 s lateness.
  const v2 = (r.outputs[Topics.baselines] ?? []).filter((o) => o.key === 'coolant_temp.mean{}@V2').map((o) => (o.value as { lastWindowEndMs: number }).lastWindowEndMs);
  assert.ok(Math.max(...v2) >= T0 + 85_000, `V2 windows close until the end (last ${new Date(Math.max(...v2)).toISOString()})`);
});

test('source clock: all sources moving on together (a gap in the data) is believed after one record', () => {
  const c = new SourceClock(30_000);
  assert.equal(c.check('A', 0, Number.NEGATIVE_INFINITY).jump, false);
  assert.equal(c.check('B', 1000, 0).jump, false);
  // An hour without data, then both vehicles resume: the first resumed record cannot tell, the second confirms it.
  assert.equal(c.check('A', 3_600_000, 1000).jump, true);
  assert.equal(c.check('B', 3_600_500, 1000).jump, false);
  assert.equal(c.check('A', 3_601_000, 3_600_500).jump, false);
});

test('source clock: a lone source, or one whose peers stopped reporting, is not held back', () => {
  const alone = new SourceClock(30_000);
  alone.check('A', 0, Number.NEGATIVE_INFINITY);
  assert.equal(alone.check('A', 3_600_000, 0).jump, false, 'nobody else to make late');
  const c = new SourceClock(30_000);
  c.check('A', 0, Number.NEGATIVE_INFINITY);
  c.check('B', 0, 0);
  assert.equal(c.check('A', 600_000, 0).jump, true);
  assert.equal(c.check('A', 610_000, 0).jump, true);
  // B reports again (on time): A's run starts over.
  assert.equal(c.check('B', 1000, 0).jump, false);
  assert.equal(c.check('A', 620_000, 1000).jump, true);
  assert.equal(c.check('A', 640_000, 1000).jump, true);
  // B stays silent while A keeps its new time for confirmMs (default = the bound): A is believed.
  assert.equal(c.check('A', 650_000, 1000).jump, false);
});
