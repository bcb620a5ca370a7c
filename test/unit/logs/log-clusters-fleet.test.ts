import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionTask } from '../../../streams/runtime/state/partition-task.ts';
import { GlobalTableSet } from '../../../streams/runtime/state/global-table-set.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { replay } from '../../../streams/runtime/replay/replay.ts';
import { DEFAULT_TREND_OPTIONS } from '../../../streams/processors/logs/cluster-trends.ts';
import { clusterSignature, fleetClusterId } from '../../../streams/processors/logs/cluster-signature.ts';
import type { LogClusterEvent } from '../../../streams/processors/logs/log-cluster-event.ts';
import { createFleetLogClusterProcessor } from '../../../streams/processors/logs/log-clusters-fleet-processor.ts';

const MIN = 60_000;
const T0 = 1_764_000_000_000 - (1_764_000_000_000 % MIN);
const cfg = { windowMs: MIN, skewMs: MIN, trends: { ...DEFAULT_TREND_OPTIONS, alpha: 0.5, goneAfterWindows: 1, warmupWindows: 0 }, expireAfterWindows: 10 };
const EEPROM = 'EEPROM verify failed at block <HEX>: expected CRC <HEX> got <HEX>';

/** A per-partition event as log-cluster-processor writes it. */
function ev(partition: number, w: number, type: LogClusterEvent['eventType'], count: number, baseline: number | null, template = EEPROM, tplSeq = 7): LogClusterEvent {
  const clusterId = `p${partition}-c${tplSeq}`;
  return {
    eventId: `${clusterId}:${type}:${T0 + w * MIN}`, clusterId, mergedClusterIds: [], eventType: type, partition,
    windowStartMs: T0 + w * MIN, windowEndMs: T0 + (w + 1) * MIN,
    templates: [{ templateId: `p${partition}-t${tplSeq}`, template, count, mergedTemplateIds: [] }],
    keywords: ['EEPROM', 'verify'], count, baselineCount: baseline, ratio: baseline === null ? null : count / Math.max(baseline, 1),
    vehicleCount: count > 0 ? 1 : 0, vehicleCounts: count > 0 ? [{ vehicleId: `VIN-${partition}`, count }] : [],
    examples: [], correlatedDrift: [], embeddingVersion: 'tfidf', clusteringMethod: 'dbscan',
  };
}

class FleetTask {
  readonly task: PartitionTask<unknown>;
  readonly out: LogClusterEvent[] = [];
  readonly late: unknown[] = [];
  readonly changelog = new Map<string, unknown>();
  private offset = 0;
  constructor(restoreFrom?: ReadonlyMap<string, unknown>) {
    this.task = new PartitionTask(createFleetLogClusterProcessor(cfg), 0, { late: Topics.late, dlq: Topics.dlq }, new GlobalTableSet());
    for (const [k, v] of restoreFrom ?? []) {
      this.task.restore(k, JSON.parse(JSON.stringify(v)));
      this.changelog.set(k, v);
    }
  }
  send(e: LogClusterEvent): void {
    this.task.handle({ topic: Topics.logClusters, partition: 0, offset: String(this.offset++), key: 'fleet', headers: {}, rawKey: null, rawValue: null }, e, e.windowEndMs);
    const d = this.task.drain();
    for (const c of d.changelog) if (c.value === null) this.changelog.delete(c.key); else this.changelog.set(c.key, c.value);
    for (const o of d.outputs) {
      if (o.topic === Topics.logClustersFleet) this.out.push(o.value as LogClusterEvent);
      else if (o.topic === Topics.late) this.late.push(o.value);
    }
  }
}

test('the same template from two partitions is one fleet cluster with summed counts, emitted once after both', () => {
  const a = ev(0, 0, 'NEW', 3, null);
  const b = ev(3, 0, 'NEW', 4, null, EEPROM, 2); // another partition, another template sequence number
  assert.equal(clusterSignature(a), clusterSignature(b));
  const t = new FleetTask();
  t.send(a);
  // Partition 0 is a window ahead (skew of one window) before partition 3 reports window 0.
  t.send(ev(0, 1, 'RATE_UP', 3, 3, 'heartbeat ok from ecu <NUM>', 9));
  assert.equal(t.out.length, 0, 'window 0 is still open');
  t.send(b);
  assert.equal(t.late.length, 0, 'the trailing partition is on time');
  t.send(ev(0, 2, 'RATE_UP', 3, 3, 'heartbeat ok from ecu <NUM>', 9)); // watermark past window 0
  const news = t.out.filter((e) => e.templates.some((x) => x.template === EEPROM));
  assert.equal(news.length, 1);
  assert.equal(news[0]!.eventType, 'NEW');
  assert.equal(news[0]!.clusterId, fleetClusterId(clusterSignature(a)));
  assert.equal(news[0]!.partition, -1);
  assert.equal(news[0]!.count, 7);
  assert.equal(news[0]!.vehicleCount, 2);
  assert.deepEqual(news[0]!.templates[0]!.mergedTemplateIds, ['p0-t7', 'p3-t2']);
  // A window-0 event arriving now is late: it goes to the late topic, the window is not emitted again.
  t.send(ev(5, 0, 'NEW', 9, null));
  assert.equal(t.late.length, 1);
  t.send(ev(0, 4, 'RATE_UP', 3, 3, 'heartbeat ok from ecu <NUM>', 9));
  assert.equal(t.out.filter((e) => e.templates.some((x) => x.template === EEPROM) && e.eventType === 'NEW').length, 1);
});

/** Sequence: NEW on two partitions (3 + 4), four quiet windows, a spike on partition 0, then both partitions GONE. */
function lifecycle(t: FleetTask, from = 0, to = 99): void {
  const steps: LogClusterEvent[][] = [
    [ev(0, 0, 'NEW', 3, null), ev(3, 0, 'NEW', 4, null)],
    [], [], [],
    [ev(0, 4, 'RATE_UP', 30, 3)],
    [],
    [ev(0, 6, 'GONE', 0, 4), ev(3, 6, 'GONE', 0, 4)],
    [], [],
  ];
  // A heartbeat cluster on partition 1 reports every window, so the watermark moves on.
  steps.forEach((evs, w) => {
    if (w < from || w > to) return;
    for (const e of evs) t.send(e);
    t.send(ev(1, w, w === 0 ? 'NEW' : 'UPDATE', 10, w === 0 ? null : 10, 'heartbeat ok from ecu <NUM>', 3));
  });
}

test('NEW, then RATE_UP with silent partitions counted at their level, then GONE when every partition is gone', () => {
  const t = new FleetTask();
  lifecycle(t);
  const id = fleetClusterId(clusterSignature(ev(0, 0, 'NEW', 1, null)));
  const mine = t.out.filter((e) => e.clusterId === id).map((e) => [e.eventType, (e.windowStartMs - T0) / MIN, e.count]);
  // Windows 1–3: no events, levels 3 + 4 = 7 → baseline 7. Window 4: 30 + partition 3's level 4 = 34 ≥ 3 × 7.
  // Window 5: partition 0's level is 0.5·30 + 0.5·3 = 16.5, so 20.5 (no event). Window 6: both GONE → 0.
  assert.deepEqual(mine, [['NEW', 0, 7], ['RATE_UP', 4, 34], ['GONE', 6, 0]]);
  const up = t.out.find((e) => e.clusterId === id && e.eventType === 'RATE_UP')!;
  assert.equal(up.baselineCount, 7);
});

test('a restart from the changelog continues with the same fleet ids and events', () => {
  const whole = new FleetTask();
  lifecycle(whole);
  const first = new FleetTask();
  lifecycle(first, 0, 3);
  const restarted = new FleetTask(first.changelog);
  lifecycle(restarted, 4);
  assert.deepEqual([...first.out, ...restarted.out], whole.out);
  assert.ok(restarted.out.some((e) => e.eventType === 'RATE_UP'));
});

test('malformed log-cluster events go to the DLQ with INVALID_RECORD and the field; the good ones are still merged', () => {
  const good = [ev(0, 0, 'NEW', 3, null), ev(1, 0, 'NEW', 4, null, EEPROM, 2), ev(0, 2, 'RATE_UP', 1, 1, 'heartbeat ok from ecu <NUM>', 9)];
  const noType = { ...ev(2, 0, 'NEW', 1, null), eventType: 'EXPLODED' };
  const noTime = { ...ev(2, 0, 'NEW', 1, null), windowEndMs: 'soon' };
  const r = replay([createFleetLogClusterProcessor(cfg)], [good[0], noType, good[1], noTime, 'not a record', good[2]].map((value) => ({ topic: Topics.logClusters, key: 'fleet', value })));
  const dead = r.dlq.map((d) => d.value as { errorCode: string; errorMessage: string });
  assert.equal(dead.length, 3);
  assert.ok(dead.every((d) => d.errorCode === 'INVALID_RECORD'), JSON.stringify(dead));
  assert.ok(dead.some((d) => /field eventType/.test(d.errorMessage)));
  assert.ok(dead.some((d) => /windowEndMs/.test(d.errorMessage)));
  const fleet = (r.outputs[Topics.logClustersFleet] ?? []).map((o) => o.value as LogClusterEvent);
  const eeprom = fleet.find((e) => e.eventType === 'NEW' && e.templates.some((t) => t.template === EEPROM));
  assert.equal(eeprom?.count, 7, 'both valid partitions counted');
});

test('a fleet event lists the vehicles its count includes: a partition without an event counts with its vehicles at their level', () => {
  const t = new FleetTask();
  // Partition 3's cluster founds with two vehicles (3 + 1 lines), partition 0's with one.
  const p3 = { ...ev(3, 0, 'NEW', 4, null), vehicleCount: 2, vehicleCounts: [{ vehicleId: 'VIN-3a', count: 3 }, { vehicleId: 'VIN-3b', count: 1 }] };
  const steps: LogClusterEvent[][] = [
    [ev(0, 0, 'NEW', 3, null), p3],
    [], [], [],
    [ev(0, 4, 'RATE_UP', 30, 3)],
    // Partition 3 spikes on one vehicle while partition 0 is quiet at its level 0.5·30 + 0.5·3 = 16.5.
    [{ ...ev(3, 5, 'RATE_UP', 60, 4), vehicleCounts: [{ vehicleId: 'VIN-3a', count: 60 }] }],
    [], [],
  ];
  steps.forEach((evs, w) => {
    for (const e of evs) t.send(e);
    t.send(ev(1, w, w === 0 ? 'NEW' : 'UPDATE', 10, w === 0 ? null : 10, 'heartbeat ok from ecu <NUM>', 3));
  });
  const id = fleetClusterId(clusterSignature(ev(0, 0, 'NEW', 1, null)));
  const ups = t.out.filter((e) => e.clusterId === id && e.eventType === 'RATE_UP');
  const vehicles = (e: LogClusterEvent) => e.vehicleCounts.map((v) => [v.vehicleId, v.count]);
  assert.deepEqual(ups.map((e) => [(e.windowStartMs - T0) / MIN, e.count, e.vehicleCount, vehicles(e)]), [
    [4, 34, 3, [['VIN-0', 30], ['VIN-3a', 3], ['VIN-3b', 1]]],
    [5, 76.5, 2, [['VIN-3a', 60], ['VIN-0', 16.5]]],
  ]);
  for (const e of t.out.filter((x) => x.clusterId === id)) {
    assert.ok(Math.abs(e.vehicleCounts.reduce((a, v) => a + v.count, 0) - e.count) < 1e-9, `${e.eventType} at window ${(e.windowStartMs - T0) / MIN}: vehicle counts add up to the count`);
  }
});
