/**
 * The partition clock of a repartitioned input: upstream partitions with a backlog hold the
 * watermark at the min of their progress, so an upstream running ahead does not make a slow one's
 * records late; a held upstream that went quiet stops holding after the idleness bound; a caught-up
 * upstream (and any partition read directly, and the replay) keeps the plain clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionClock, type Upstream } from '../../../streams/runtime/time/partition-clock.ts';
import { PartitionTask, type TaskInput } from '../../../streams/runtime/state/partition-task.ts';
import { createRouter, readRepartitioned, UPSTREAM_BEHIND_HEADER, UPSTREAM_SOURCE_HEADER, UPSTREAM_TIME_HEADER } from '../../../streams/processors/repartition.ts';
import { windowedCount } from '../../../streams/processors/testing/windowed-count.ts';
import type { OutputRecord } from '../../../streams/processors/processor.ts';

const LATENESS = 1_000;
const up = (source: string, progressMs: number, behind = true): Upstream => ({ source, progressMs, behind });

test('two upstream sources at different speeds: nothing within lateness of the slow one is late', () => {
  const c = new PartitionClock(LATENESS, 60_000);
  let now = 0;
  c.observe(10_000, now, up('route/0', 10_000));
  c.observe(10_000, now, up('route/1', 10_000));
  // The fast upstream reports 90 s ahead while the slow one's backlog waits.
  for (let t = 11_000; t <= 100_000; t += 1_000) c.observe(t, (now += 10), up('route/0', t));
  assert.equal(c.maxEventTimeMs, 100_000);
  assert.equal(c.watermarkMs, 9_000, 'min over held upstreams (10 s) minus lateness, not 100 s minus lateness');
  assert.equal(c.isLate(9_500), false, 'a slow-upstream record within lateness of its own progress is on time');
  for (let t = 10_500; t <= 40_000; t += 500) {
    assert.equal(c.isLate(t), false, `slow-upstream record at ${t} is on time`);
    c.observe(t, (now += 10), up('route/1', t));
  }
  assert.equal(c.watermarkMs, 39_000);
  assert.equal(c.isLate(38_000), true, 'a record further behind its own upstream than the lateness is still late');
  // The slow upstream catches up: it holds only for the caught-up bound, then the watermark follows the largest event time.
  c.observe(40_500, (now += 10), up('route/1', 40_500, false));
  assert.equal(c.watermarkMs, 39_500);
  c.observe(100_000, (now += 10), up('route/0', 100_000, false));
  assert.equal(c.advance(now + c.caughtUpIdleMs + 1), true);
  assert.equal(c.watermarkMs, 99_000);
  // The old rule (one clock for the partition) would have dropped the slow upstream's records.
  const old = new PartitionClock(LATENESS);
  old.observe(100_000, 0);
  assert.equal(old.isLate(10_500), true);
});

test('a held upstream that sent nothing for the idleness bound stops holding; the watermark never moves back', () => {
  const c = new PartitionClock(LATENESS, 5_000);
  c.observe(10_000, 0, up('route/0', 10_000));
  c.observe(10_000, 0, up('route/1', 10_000));
  c.observe(50_000, 4_000, up('route/0', 50_000));
  assert.equal(c.watermarkMs, 9_000, 'route/1 last heard of 4 s ago: still holds');
  c.observe(60_000, 6_000, up('route/0', 60_000));
  assert.equal(c.watermarkMs, 59_000, 'route/1 silent for 6 s > 5 s: excluded');
  assert.deepEqual(c.heldAt(6_000).map((h) => [h.source, h.holding]), [['route/0', true], ['route/1', false]]);
  assert.equal(c.isLate(12_000), true, 'its records behind the watermark are late now');
  c.observe(59_500, 6_100, up('route/1', 59_500));
  assert.equal(c.watermarkMs, 59_000, 'its return does not pull the watermark back');
});

test('caught-up (sparse) upstreams hold nothing: the plain clock, and the header progress never lifts it', () => {
  const c = new PartitionClock(LATENESS, 60_000);
  c.observe(10_000, 0, up('route/0', 10_000, false));
  c.observe(30_000, 0, up('route/1', 90_000, false));
  assert.equal(c.watermarkMs, 29_000, 'largest event time seen here minus lateness');
  c.observe(20_000, 0, up('route/0', 20_000, true));
  assert.equal(c.watermarkMs, 29_000, 'held at 20 s, but never moves back');
});

test('held upstreams and the watermark survive a snapshot; restored ones count as just heard of', () => {
  const c = new PartitionClock(LATENESS, 5_000);
  c.observe(10_000, 0, up('route/0', 10_000));
  c.observe(80_000, 0, up('route/1', 80_000));
  const snap = JSON.parse(JSON.stringify(c.snapshot()));
  assert.deepEqual(snap, { maxEventTimeMs: 80_000, watermarkMs: 9_000, held: { 'route/0': 10_000, 'route/1': 80_000 }, caughtUp: {} });
  const r = new PartitionClock(LATENESS, 5_000);
  r.restore(snap);
  assert.equal(r.watermarkMs, 9_000);
  assert.equal(r.isLate(9_500), false);
  r.observe(81_000, 100_000, up('route/1', 81_000));
  assert.equal(r.watermarkMs, 9_000, 'route/0 holds for the idleness bound after the restore');
  r.observe(82_000, 105_001, up('route/1', 82_000));
  assert.equal(r.watermarkMs, 81_000, 'then it is excluded');
});

test('a partition read directly keeps the plain clock and its changelog form; a rejected record is taken back', () => {
  const c = new PartitionClock(LATENESS);
  c.observe(5_000, 0);
  c.observe(3_000, 0);
  assert.equal(c.watermarkMs, 4_000);
  assert.deepEqual(c.snapshot(), { maxEventTimeMs: 5_000 });
  c.observe(9_000, 0);
  c.undoLast();
  assert.equal(c.watermarkMs, 4_000);
  assert.equal(c.maxEventTimeMs, 5_000);
  const r = new PartitionClock(LATENESS);
  r.restore({ maxEventTimeMs: 5_000 });
  assert.equal(r.watermarkMs, 4_000);
  assert.equal(r.isLate(3_999), true);
});

test('router and repartitioned task: partition 0 routed far ahead with a backlog on partition 1 drops nothing', () => {
  const side = { late: 'late', dlq: 'dlq' };
  const globals = { table: () => new Map() } as never;
  const rep = 'app-by-key-repartition';
  const router = createRouter<{ ts: number; k: string }>({ name: 'route', inputTopics: ['in'], outputTopic: rep, keyOf: (v) => v.k, eventTimeMs: (v) => v.ts });
  const fleet = readRepartitioned(windowedCount({ input: 'in', output: 'out', windowMs: 10_000, allowedLatenessMs: LATENESS, timeField: 'ts' }), rep, 'fleet-count');
  const routers = [0, 1].map((p) => new PartitionTask(router, p, side, globals));
  const down = new PartitionTask(fleet, 0, side, globals);
  const route = (p: number, ts: number, behind: boolean): OutputRecord => {
    const input: TaskInput = { topic: 'in', partition: p, offset: String(ts), key: `v${p}`, headers: {}, rawKey: null, rawValue: null, behind };
    routers[p]!.handle(input, { ts, k: `v${p}` }, 0);
    return routers[p]!.drain().outputs[0]!;
  };
  let off = 0;
  const deliver = (o: OutputRecord): void => {
    down.handle({ topic: rep, partition: 0, offset: String(off++), key: o.key, headers: o.headers ?? {}, rawKey: null, rawValue: null }, o.value, 0);
  };
  const out: OutputRecord[] = [];
  let late = 0;
  const collect = (): void => {
    const d = down.drain();
    late += d.late;
    out.push(...d.outputs.filter((o) => o.topic === 'out'));
  };
  deliver(route(0, 0, true));
  deliver(route(1, 0, true));
  for (let ts = 1_000; ts < 100_000; ts += 1_000) deliver(route(0, ts, ts < 99_000));
  collect();
  for (let ts = 1_000; ts < 100_000; ts += 1_000) deliver(route(1, ts, ts < 99_000));
  collect();
  assert.equal(late, 0, 'no record late');
  assert.equal(out.find((o) => o.key === 'v1')?.headers?.[UPSTREAM_SOURCE_HEADER], undefined, 'outputs do not carry routing headers on');
  const counts = out.map((o) => o.value as { key: string; startMs: number; count: number }).filter((w) => w.startMs === 50_000);
  assert.deepEqual(counts.map((w) => [w.key, w.count]).sort(), [['v0', 10], ['v1', 10]]);
  // What the router stamped.
  const o = route(1, 100_000, false);
  assert.equal(o.headers?.[UPSTREAM_SOURCE_HEADER], 'route/1');
  assert.equal(o.headers?.[UPSTREAM_TIME_HEADER], '100000');
  assert.equal(o.headers?.[UPSTREAM_BEHIND_HEADER], undefined);
});

test('a router serving its partitions one batch after the other, each caught up at its end (unpaced replay): nothing is late', () => {
  // What bench/fmea-onset-latency.ts --speeds max showed: each partition's batch spans more event time than the
  // lateness and ends caught up, while the producer keeps writing the others; released at once, the batch just read
  // pushed the watermark past the start of the next partition's batch (hundreds of late spans per run).
  const side = { late: 'late', dlq: 'dlq' };
  const globals = { table: () => new Map() } as never;
  const rep = 'app-by-key-repartition';
  const router = createRouter<{ ts: number; k: string }>({ name: 'route', inputTopics: ['in'], outputTopic: rep, keyOf: () => 'fleet', eventTimeMs: (v) => v.ts });
  const fleet = readRepartitioned(windowedCount({ input: 'in', output: 'out', windowMs: 10_000, allowedLatenessMs: LATENESS, timeField: 'ts' }), rep, 'fleet-count');
  const routers = [0, 1, 2].map((p) => new PartitionTask(router, p, side, globals));
  const down = new PartitionTask(fleet, 0, side, globals);
  let off = 0;
  let now = 0;
  let late = 0;
  const out: { key: string; startMs: number; count: number }[] = [];
  const BATCH_MS = 5_000;
  const deliver = (p: number, ts: number, behind: boolean): void => {
    const input: TaskInput = { topic: 'in', partition: p, offset: String(ts), key: `v${p}`, headers: {}, rawKey: null, rawValue: null, ...(behind ? { behind: true } : {}) };
    routers[p]!.handle(input, { ts, k: `v${p}` }, now);
    const o = routers[p]!.drain().outputs[0]!;
    down.handle({ topic: rep, partition: 0, offset: String(off++), key: o.key, headers: o.headers ?? {}, rawKey: null, rawValue: null }, o.value, now);
  };
  // Every upstream is heard of before the others move on (an upstream first heard of later is not covered).
  for (const p of [0, 1, 2]) deliver(p, 0, true);
  for (let round = 0; round < 20; round++) {
    for (const p of [0, 1, 2]) {
      now += 300;
      const from = round * BATCH_MS;
      for (let ts = from === 0 ? 100 : from; ts < from + BATCH_MS; ts += 100) deliver(p, ts, ts + 100 < from + BATCH_MS);
      const d = down.drain();
      late += d.late;
      out.push(...d.outputs.filter((o) => o.topic === 'out').map((o) => o.value as { key: string; startMs: number; count: number }));
    }
  }
  assert.equal(late, 0, 'no record late');
  const w = out.filter((x) => x.startMs === 50_000);
  assert.deepEqual(w.map((x) => [x.key, x.count]), [['fleet', 300]], 'the fleet window counts every partition\'s records, once');
});

test('a caught-up upstream that goes quiet stops holding after the caught-up bound, released by a wall-clock tick', () => {
  const c = new PartitionClock(LATENESS, 60_000, 5_000);
  c.observe(10_000, 0, up('route/0', 10_000));
  c.observe(10_000, 0, up('route/1', 10_000, false));
  c.observe(50_000, 1_000, up('route/0', 50_000, false));
  assert.equal(c.watermarkMs, 9_000, 'route/1 caught up at 10 s, heard of 1 s ago: holds');
  assert.equal(c.advance(5_000), false, 'still within the bound');
  assert.equal(c.advance(5_001), true, 'route/1 quiet for more than 5 s');
  assert.equal(c.watermarkMs, 49_000);
  assert.deepEqual(c.heldAt(5_001).map((h) => h.source), ['route/0'], 'the quiet caught-up upstream is forgotten');
  const snap = JSON.parse(JSON.stringify(c.snapshot()));
  assert.deepEqual(snap, { maxEventTimeMs: 50_000, watermarkMs: 49_000, held: {}, caughtUp: { 'route/0': 50_000 } });
  const r = new PartitionClock(LATENESS, 60_000, 5_000);
  r.restore(snap);
  assert.equal(r.watermarkMs, 49_000);
  r.observe(70_000, 100_000, up('route/1', 70_000, false));
  assert.equal(r.watermarkMs, 49_000, 'restored caught-up upstream counts as just heard of');
});

test('an upstream heard of (caught up) before any backlog was reported is waited for once one is', () => {
  const c = new PartitionClock(LATENESS, 60_000, 5_000);
  c.observe(10_000, 0, up('route/1', 10_000, false));
  assert.deepEqual(c.snapshot(), { maxEventTimeMs: 10_000 }, 'no backlog yet: the plain clock and its one-field form');
  c.observe(10_000, 100, up('route/0', 10_000));
  c.observe(50_000, 200, up('route/0', 50_000));
  assert.equal(c.watermarkMs, 9_000, 'route/1 caught up at 10 s holds while route/0 works through its backlog');
  assert.equal(c.isLate(9_500), false);
  // A rejected record is taken back with the upstream it listed and the quiet ones it made the clock forget.
  c.observe(60_000, 20_000, up('route/2', 60_000, false));
  assert.deepEqual(c.heldAt(20_000).map((h) => h.source), ['route/0', 'route/2'], 'route/1 (caught up, quiet for 20 s) is forgotten');
  c.undoLast();
  assert.deepEqual(c.heldAt(200).map((h) => h.source).sort(), ['route/0', 'route/1']);
  assert.equal(c.watermarkMs, 9_000);
  assert.equal(c.maxEventTimeMs, 50_000);
});
