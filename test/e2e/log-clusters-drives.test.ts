import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { LogClusterEvent } from '../../streams/processors/logs/log-cluster-event.ts';
import { Topics } from '../../streams/topic-catalog.ts';
import { createLogClusterProcessor } from '../../streams/processors/logs/log-cluster-processor.ts';
import { provisionTopics } from '../../streams/runtime/admin/topic-provisioner.ts';
import { createKafka } from '../../streams/runtime/kafka/client.ts';
import { runWorker } from '../../streams/runtime/kafka/worker.ts';
import { followOutputs } from '../../streams/runtime/live/output-feed.ts';
import { createSerde } from '../../streams/runtime/serde/serde.ts';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';
import { stackEndpoints } from '../../streams/runtime/stack/stack.ts';
import { DRIVE_TIMING } from '../../streams/topology.ts';
import { replayDrives } from '../../vehicle-producer/publish/replay.ts';
import { namespaceProcessor, topicNamespace } from '../../bench/lib/namespaced-topics.ts';
import { DRIVES_DIR, runOffline } from './drive-pipeline.ts';

// Expectations come from drives/manifest.json (fault onset, affected vehicles, the log pattern the
// simulator injects) and from the drive's own log file — never from the engine's output.
interface Fault { kind: string; onsetTimeMs: number; affectedVehicles: string[]; signature: { logPattern: string; metric?: string } }
function faultOf(drive: string): Fault {
  const manifest = JSON.parse(fs.readFileSync(path.join(DRIVES_DIR, 'manifest.json'), 'utf8')) as { drives: { name: string; faults: Fault[] }[] };
  const f = manifest.drives.find((d) => d.name === drive)?.faults[0];
  assert.ok(f, `${drive} has a fault in the manifest`);
  return f;
}

/** Times of the drive's log lines containing `pattern`. */
function lineTimes(drive: string, pattern: string): number[] {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(DRIVES_DIR, drive, 'logs.jsonl.gz'))).toString('utf8');
  return text.split('\n').filter((l) => l.includes(pattern)).map((l) => (JSON.parse(l) as { timestampMs: number }).timestampMs);
}

function fleetEvents(out: Record<string, { value: unknown }[]>): LogClusterEvent[] {
  return (out[Topics.logClustersFleet] ?? []).map((o) => o.value as LogClusterEvent);
}

const mentions = (e: LogClusterEvent, re: RegExp) => e.keywords.some((k) => re.test(k)) || e.templates.some((t) => re.test(t.template));

test('eeprom-verify-fail: the EEPROM failure appears fleet-wide as a NEW cluster at or after the onset', async () => {
  const fault = faultOf('eeprom-verify-fail');
  // The injected line never occurs before the onset: that is what makes it a new cluster.
  const times = lineTimes('eeprom-verify-fail', fault.signature.logPattern);
  assert.ok(times.length > 0 && times.every((t) => t >= fault.onsetTimeMs));
  const events = fleetEvents(await runOffline(['eeprom-verify-fail']));
  assert.ok(events.every((e) => e.partition === -1 && e.clusterId.startsWith('fleet-')));
  const eeprom = events.filter((e) => e.eventType === 'NEW' && mentions(e, /eeprom|verify|crc/i));
  assert.ok(eeprom.length > 0, `a NEW fleet cluster mentions EEPROM/verify/CRC: ${JSON.stringify(events.map((e) => [e.eventType, e.keywords]))}`);
  for (const e of eeprom) {
    assert.ok(e.windowEndMs > fault.onsetTimeMs, `NEW window ends ${(e.windowEndMs - fault.onsetTimeMs) / 1000}s after the onset`);
    assert.ok(e.vehicleCounts.length > 0);
    for (const v of e.vehicleCounts) assert.ok(fault.affectedVehicles.some((a) => v.vehicleId.endsWith(a)), `${v.vehicleId} is an affected vehicle`);
  }
  // Both affected vehicles' lines meet in one fleet cluster (one id, not one per partition).
  const verify = eeprom.filter((e) => e.templates.some((t) => /verify failed/i.test(t.template)));
  assert.equal(new Set(verify.map((e) => e.clusterId)).size, 1);
  assert.equal(verify[0]!.vehicleCount, fault.affectedVehicles.length);
});

test('can-timeout: the timeout cluster rises fleet-wide with its correlated metric drift', async () => {
  const fault = faultOf('can-timeout');
  const times = lineTimes('can-timeout', fault.signature.logPattern);
  assert.ok(times.length > 0);
  // A cluster that already existed before the onset must rise (RATE_UP); one that did not is NEW.
  const existedBefore = times.some((t) => t < fault.onsetTimeMs);
  const expected = existedBefore ? 'RATE_UP' : 'NEW';
  const events = fleetEvents(await runOffline(['can-timeout']));
  const timeout = events.filter((e) => e.eventType === expected && e.templates.some((t) => /timeout/i.test(t.template)));
  assert.ok(timeout.length > 0, `a ${expected} fleet cluster of timeout lines: ${JSON.stringify(events.map((e) => [e.eventType, e.keywords]))}`);
  const first = timeout[0]!;
  assert.ok(first.windowEndMs > fault.onsetTimeMs);
  assert.ok(first.correlatedDrift.length > 0, 'the timeout cluster carries correlated drift');
  assert.ok(first.correlatedDrift.some((d) => d.name.includes(fault.signature.metric ?? 'can_bus_error_rate')), `drift names: ${first.correlatedDrift.map((d) => d.name)}`);
  assert.equal(new Set(timeout.map((e) => e.clusterId)).size, 1);
  assert.equal(first.vehicleCount, fault.affectedVehicles.length);
});

// The per-partition stage on the real broker and registry (Kafka runtime, exactly-once), on private copies of the
// topics so concurrent runs neither feed nor read each other. A fault template that never occurs before the onset
// founds a cluster: NEW in the window that holds the onset, in each affected vehicle's partition, with no event for
// it before. RATE_UP is the trend of a cluster with a baseline (minBaselineWindows of history): the drives' fault
// clusters have none, since their lines start at the onset and keep a steady rate, so they must not be RATE_UP.
test('on the broker: each fault drive\'s log cluster is NEW on fmeaflow.log-clusters.v1 in the onset window, per affected vehicle', { timeout: 240_000 }, async (t) => {
  const drives = ['eeprom-verify-fail', 'can-timeout'];
  const faults = new Map(drives.map((d) => [d, faultOf(d)]));
  for (const [d, f] of faults) assert.ok(lineTimes(d, f.signature.logPattern).every((x) => x >= f.onsetTimeMs), `${d}: no fault line before the onset`);
  const { brokers, registryUrl } = stackEndpoints();
  const ns = `e2e-logs-${Date.now().toString(36)}`;
  const n = topicNamespace(ns);
  const kafka = createKafka(`${ns}-test`, brokers);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await provisionTopics(admin, n.specs);
  } finally {
    await admin.disconnect();
  }
  let worker: Awaited<ReturnType<typeof runWorker>> | undefined;
  let feed: Awaited<ReturnType<typeof followOutputs>> | undefined;
  // One hook: the feed and the worker stop before the private topics are deleted with the run.
  t.after(async () => {
    await feed?.stop();
    await worker?.stop();
    const a = kafka.admin();
    await a.connect();
    await a.deleteTopics({ topics: [...n.specs.map((x) => x.name), `${ns}-log-clusters-changelog`] }).catch(() => undefined);
    await a.disconnect();
  });
  const serde = createSerde({ registryUrl, schemasDir: path.join(PROJECT_ROOT, 'schemas') });
  await serde.registerAll(n.specs.map((x) => ({ name: x.name, schema: x.schema })));
  const processor = namespaceProcessor(createLogClusterProcessor({ windowMs: DRIVE_TIMING.logWindowMs, closeDelayMs: DRIVE_TIMING.logCloseDelayMs }), n);
  worker = await runWorker({ app: ns, processors: [processor], brokers, registryUrl, schemasDir: path.join(PROJECT_ROOT, 'schemas'), catalog: n.specs.map((x) => ({ name: x.name, schema: x.schema })), lateTopic: n.out(Topics.late), dlqTopic: n.out(Topics.dlq), handleSignals: false });

  // Done when every affected vehicle of every drive has a NEW event of its drive's fault cluster.
  const events: LogClusterEvent[] = [];
  const isFault = (drive: string, e: LogClusterEvent): boolean =>
    e.vehicleCounts.some((v) => v.vehicleId.startsWith(`${drive}/`)) && e.templates.some((x) => x.template.startsWith(faults.get(drive)!.signature.logPattern.split(' ')[0]!)) && mentionsPattern(drive, e);
  const covered = (): boolean => drives.every((d) => faults.get(d)!.affectedVehicles.every((v) => events.some((e) => e.eventType === 'NEW' && isFault(d, e) && e.vehicleCounts.some((c) => c.vehicleId === `${d}/${v}`))));
  let done!: () => void;
  const allNew = new Promise<void>((resolve) => (done = resolve));
  feed = await followOutputs(kafka, serde, [n.out(Topics.logClusters)], (r) => {
    events.push(r.value as LogClusterEvent);
    if (covered()) done();
  });
  await replayDrives({ drives: drives.map((d) => path.join(DRIVES_DIR, d)), brokers, registryUrl, speed: 'max', topics: n.producerTopics });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allNew, new Promise<void>((resolve) => (timer = setTimeout(resolve, 120_000)))]);
  clearTimeout(timer);

  for (const d of drives) {
    const f = faults.get(d)!;
    const mine = events.filter((e) => isFault(d, e));
    const news = mine.filter((e) => e.eventType === 'NEW');
    assert.deepEqual(
      [...new Set(news.flatMap((e) => e.vehicleCounts.map((v) => v.vehicleId)))].sort(),
      f.affectedVehicles.map((v) => `${d}/${v}`).sort(),
      `${d}: a NEW fault cluster for each affected vehicle (events: ${JSON.stringify(events.map((e) => [e.partition, e.eventType, e.keywords]))})`,
    );
    for (const e of news) {
      assert.ok(e.windowStartMs <= f.onsetTimeMs && f.onsetTimeMs < e.windowEndMs, `${d}: NEW in the onset window (window starts ${(e.windowStartMs - f.onsetTimeMs) / 1000}s from the onset)`);
      assert.ok(e.count > 0 && e.baselineCount === null, `${d}: a new cluster has lines and no baseline yet`);
      assert.ok(!mine.some((x) => x.clusterId === e.clusterId && x.partition === e.partition && x.windowStartMs < e.windowStartMs), `${d}: nothing about ${e.clusterId} before it was NEW`);
    }
    assert.ok(!mine.some((e) => e.eventType === 'RATE_UP'), `${d}: a cluster without a baseline is never RATE_UP`);
  }
});

function mentionsPattern(drive: string, e: LogClusterEvent): boolean {
  // The pattern's leading words as the template keeps them (variables are masked).
  const words = faultOf(drive).signature.logPattern.split(' ').filter((w) => !/\d/.test(w)).slice(0, 3);
  return e.templates.some((x) => words.every((w) => x.template.includes(w)));
}
