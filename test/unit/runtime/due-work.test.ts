/**
 * Window close and expiry cost what is due, not what is stored: a partition may hold a timer and a few keys
 * per series for a million series, and a window closing every minute must not walk all of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReadonlyStore, TimerRequest } from '../../../streams/processors/processor.ts';
import { closeWindow, seriesWindowConfig, windowBucket } from '../../../streams/processors/series/series-window-stage.ts';
import { createSeriesDriftProcessor } from '../../../streams/processors/drift/series-drift-processor.ts';
import { addMetric } from '../../../streams/processors/series/window-accumulator.ts';
import { BucketedStore } from '../../../streams/runtime/state/bucketed-store.ts';
import { PartitionTask } from '../../../streams/runtime/state/partition-task.ts';
import { TimerQueue } from '../../../streams/runtime/time/timer-queue.ts';
import { Topics } from '../../../streams/topic-catalog.ts';

/** Counts iterations started over any Map while `fn` runs. */
function mapScans(fn: () => void): number {
  const proto = Map.prototype as unknown as Record<string | symbol, (...a: unknown[]) => unknown>;
  const names = ['values', 'entries', 'keys', 'forEach', Symbol.iterator] as const;
  const saved = names.map((n) => proto[n]!);
  let scans = 0;
  names.forEach((n, i) => { proto[n] = function (this: unknown, ...a: unknown[]) { scans++; return saved[i]!.apply(this, a); }; });
  try { fn(); } finally { names.forEach((n, i) => { proto[n] = saved[i]!; }); }
  return scans;
}

test('taking the due timers among 200,000 pending ones does not walk the pending set', () => {
  const q = new TimerQueue();
  for (let i = 0; i < 200_000; i++) q.set({ kind: 'event-time', id: `expire|s${i}`, atMs: 1_000_000 + i });
  q.set({ kind: 'event-time', id: 'close|0', atMs: 500 });
  let due: TimerRequest[] = [];
  assert.equal(mapScans(() => { due = q.takeDue('event-time', 1000); }), 0);
  assert.deepEqual(due.map((t) => t.id), ['close|0']);
  assert.equal(q.size, 200_000);
});

test('the timer queue fires exactly what a brute-force reference fires, in (atMs, id) order, under re-arming and cancelling', () => {
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const q = new TimerQueue();
  const ref = new Map<string, TimerRequest>();
  let now = 0;
  for (let step = 0; step < 20_000; step++) {
    const op = rnd(10);
    const id = `t${rnd(300)}`;
    if (op < 6) {
      const t: TimerRequest = { kind: rnd(4) === 0 ? 'wall-clock' : 'event-time', id, atMs: now + rnd(500), payload: { step } };
      q.set(t); ref.set(id, t);
    } else if (op < 8) {
      assert.equal(q.cancel(id), ref.delete(id));
    } else {
      now += rnd(100);
      for (const kind of ['event-time', 'wall-clock'] as const) {
        const want = [...ref.values()].filter((t) => t.kind === kind && t.atMs <= now).sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        for (const t of want) ref.delete(t.id);
        assert.deepEqual(q.takeDue(kind, now), want, `step ${step}`);
      }
    }
    assert.equal(q.size, ref.size);
  }
});

test('closing a window reads that window\'s accumulators only (the store never scanned)', () => {
  const p = createSeriesDriftProcessor({ window: { windowMs: 60_000, grouping: 'vehicle' } });
  const data = new Map<string, unknown>();
  const store = new BucketedStore(data, p.storeBucket!.bind(p));
  const acc = addMetric(undefined, { vehicleId: 'V1', name: 'x', labels: {}, kind: 'GAUGE', timestampMs: 1, value: 20, histogram: null, unit: null });
  for (let i = 0; i < 5000; i++) store.set(`g|V${i}|m:x{}`, { lastWindowStartMs: 0, name: 'x', scope: `V${i}` });
  store.set('w|0|V1|m:x{}', acc);
  store.set('w|60000|V2|m:x{}', acc);
  const guarded: ReadonlyStore<unknown> = { get: (k) => store.get(k), get size() { return store.size; }, bucket: (b) => store.bucket(b), entries: () => { throw new Error('scanned the whole store'); } };
  const closed = closeWindow(guarded, 0, seriesWindowConfig({ windowMs: 60_000 }));
  assert.deepEqual(closed.updates.filter((u) => u.value === null).map((u) => u.key), ['w|0|V1|m:x{}']);
  assert.ok(closed.points.length > 0);
  // Buckets follow deletes and restores.
  store.delete('w|0|V1|m:x{}');
  assert.deepEqual([...store.bucket('w|0')], []);
  assert.equal(windowBucket('g|V1|m:x{}'), undefined);
});

test('a partition task restores its store into the window index', () => {
  const p = createSeriesDriftProcessor({ window: { windowMs: 60_000, grouping: 'vehicle' }, allowedLatenessMs: 0 });
  const t0 = Date.UTC(2026, 10, 24, 8);
  const task = new PartitionTask(p, 0, { late: 'late', dlq: 'dlq' }, { table: () => new Map() });
  const input = (i: number) => ({ topic: Topics.metrics, partition: 0, offset: String(i), key: 'V', headers: {}, rawKey: null, rawValue: null });
  task.handle(input(0), { vehicleId: 'V', name: 'x', labels: {}, kind: 'GAUGE', timestampMs: t0 + 1, value: 1, histogram: null, unit: null }, t0);
  const changelog = task.drain().changelog;
  const restored = new PartitionTask(p, 0, { late: 'late', dlq: 'dlq' }, { table: () => new Map() });
  for (const c of changelog) restored.restore(c.key, c.value);
  restored.handle(input(1), { vehicleId: 'V', name: 'x', labels: {}, kind: 'GAUGE', timestampMs: t0 + 120_000, value: 1, histogram: null, unit: null }, t0 + 120_000);
  const out = restored.drain().outputs.filter((o) => o.topic === Topics.baselines);
  assert.deepEqual(out.map((o) => o.key).sort(), ['x.last{}@V', 'x.mean{}@V'], 'the restored accumulator is found and closed');
});
