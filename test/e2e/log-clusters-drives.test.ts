import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { LogClusterEvent } from '../../streams/processors/logs/log-cluster-event.ts';
import { Topics } from '../../streams/topic-catalog.ts';
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
