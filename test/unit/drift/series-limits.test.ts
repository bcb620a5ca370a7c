/**
 * Series state is keyed by untrusted vehicle ids and label values: groups per partition, label sets per
 * series name and vehicles per partition are capped. A record of a series that does not fit is dead-lettered
 * as STATE_LIMIT_REACHED (one DLQ record per refused record), admitted series keep producing, and a series
 * idle past the expiry frees its place.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes } from '../../../streams/errors.ts';
import { createSeriesDriftProcessor } from '../../../streams/processors/drift/series-drift-processor.ts';
import type { SeriesLimits } from '../../../streams/processors/series/series-admission.ts';
import type { MetricRecord } from '../../../streams/processors/series/input-records.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { Topics } from '../../../streams/topic-catalog.ts';

const T0 = Date.UTC(2026, 10, 24, 8);
const MIN = 60_000;
const metric = (vehicleId: string, name: string, labels: Record<string, string>, t: number, value = 20): ReplayRecord => ({
  topic: Topics.metrics, key: vehicleId, partition: 0,
  value: { vehicleId, name, labels, kind: 'GAUGE', timestampMs: t, value, histogram: null, unit: null } satisfies MetricRecord,
});
const processor = (limits: Partial<SeriesLimits>) => createSeriesDriftProcessor({ window: { windowMs: MIN, grouping: 'vehicle', limits }, allowedLatenessMs: 0 });
const refused = (r: ReturnType<typeof replay>) => r.dlq.map((o) => o.value as { errorCode: string; errorMessage: string }).filter((d) => d.errorCode === ErrorCodes.STATE_LIMIT_REACHED);
const baselineKeys = (r: ReturnType<typeof replay>) => new Set((r.outputs[Topics.baselines] ?? []).filter((o) => o.value !== null).map((o) => o.key));

/** A real vehicle's series every 10 s for `minutes`, with `spoof(i, t)` records interleaved after each. */
function flood(minutes: number, spoof: (i: number, t: number) => ReplayRecord[]): ReplayRecord[] {
  const out: ReplayRecord[] = [];
  for (let i = 0; i < minutes * 6; i++) {
    const t = T0 + i * 10_000;
    out.push(metric('REAL', 'coolant_temp', { ecu: 'bms' }, t), ...spoof(i, t + 1));
  }
  return out;
}

test('series per partition are capped: 3,000 invented series leave state bounded, each refused record is dead-lettered, the admitted series keeps producing', () => {
  const spoofs = (i: number, t: number) => Array.from({ length: 50 }, (_, j) => metric('REAL', `invented_${i * 50 + j}`, {}, t));
  const r = replay([processor({ maxGroups: 10 })], flood(10, spoofs));
  assert.equal(refused(r).length, 60 * 50 - 9, 'every record past the 10th series is refused with its own DLQ record');
  assert.match(refused(r)[0]!.errorMessage, /series per partition \(10\)/);
  assert.ok(baselineKeys(r).has('coolant_temp.last{ecu="bms"}@REAL'), 'the series admitted first keeps its baseline');
  const keys = Object.keys(r.finalState['series-drift']![0]!);
  assert.ok(keys.length < 100, `state stays bounded by the cap (${keys.length} keys)`);
  assert.ok(!keys.some((k) => k.includes('invented_100')), 'no refused series reached the store');
});

test('label sets per series name are capped; other names are unaffected', () => {
  const spoofs = (i: number, t: number) => [metric('REAL', 'can_bus_error_rate', { bus: `bus-${i}` }, t), metric('REAL', `other_${i % 3}`, {}, t)];
  const r = replay([processor({ maxGroupsPerName: 5 })], flood(5, spoofs));
  const dead = refused(r);
  assert.equal(dead.length, 30 - 5);
  assert.ok(dead.every((d) => /label sets per series name \(5\)/.test(d.errorMessage) && d.errorMessage.includes('can_bus_error_rate')));
  for (const k of ['other_0.last{}@REAL', 'other_1.last{}@REAL', 'other_2.last{}@REAL', 'can_bus_error_rate.last{bus="bus-4"}@REAL']) assert.ok(baselineKeys(r).has(k), k);
  assert.ok(!baselineKeys(r).has('can_bus_error_rate.last{bus="bus-5"}@REAL'));
});

test('vehicles per partition are capped', () => {
  const spoofs = (i: number, t: number) => [metric(`SPOOF-${i}`, 'coolant_temp', { ecu: 'bms' }, t)];
  const r = replay([processor({ maxVehicles: 3 })], flood(5, spoofs));
  assert.equal(refused(r).length, 30 - 2, 'REAL and two spoofed vehicles fit');
  assert.ok(refused(r).every((d) => /vehicles per partition \(3\)/.test(d.errorMessage)));
});

test('a series idle past the expiry frees its place under the cap', () => {
  const idleMs = 30 * MIN;
  const recs: ReplayRecord[] = [metric('V', 'x', { k: '1' }, T0), metric('V', 'x', { k: '2' }, T0 + 1)];
  // x{k=3} reports every minute; 'tick' moves event time (a refused record does not).
  for (let m = 1; m <= 40; m++) recs.push(metric('V', 'tick', {}, T0 + m * MIN), metric('V', 'x', { k: '3' }, T0 + m * MIN + 1));
  const r = replay([processor({ maxGroupsPerName: 2, idleMs })], recs);
  // x{k=1} and x{k=2} last reported in the window ending at T0 + 1 min: forgotten once the watermark passes T0 + 31 min.
  assert.equal(refused(r).length, 30, 'x{k=3} is refused until the idle ones expire');
  assert.ok(baselineKeys(r).has('x.last{k="3"}@V'), 'then admitted');
  const state = r.finalState['series-drift']![0]!;
  assert.deepEqual([state['#groups'], state['#name|V|x'], state['#vehicles']], [2, 1, 1], 'the counters follow the expiry');
  assert.equal(state['g|V|m:x{k="1"}'], undefined);
});

test('vehicle ids and label values past their bounds are invalid records, not state', () => {
  const r = replay([processor({})], [
    metric('V|1', 'x', {}, T0),
    metric('V\u001b[2J', 'x', {}, T0),
    metric('V'.repeat(129), 'x', {}, T0),
    metric('V', 'x', { k: 'v'.repeat(257) }, T0),
    metric('V', 'x', Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])), T0),
    metric('V', 'x', {}, T0),
  ]);
  const codes = r.dlq.map((o) => (o.value as { errorCode: string }).errorCode);
  assert.deepEqual(codes, Array(5).fill(ErrorCodes.INVALID_RECORD));
  assert.ok(r.dlq.every((o) => (o.value as { errorMessage: string }).errorMessage.length < 300));
});
