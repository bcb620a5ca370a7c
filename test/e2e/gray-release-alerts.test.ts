import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument, isScalar, visit } from 'yaml';
import { replay } from '../../streams/runtime/replay/replay.ts';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';
import { DEFAULT_PARTITIONS, TOPIC_SPECS, Topics } from '../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING, FLEET_TIMING, repartitionTopicOf, type DriftDetectorChoice, type TopologyTiming } from '../../streams/topology.ts';
import type { OutputRecord } from '../../streams/processors/processor.ts';
import type { AlertRecord } from '../../streams/processors/alerts/alert-types.ts';
import { bundledRuleRecords, driveRecords, runOffline } from './drive-pipeline.ts';
import { checkGrayReleaseAlerts, parseDuration, type Alert } from './gray-release-checks.ts';

/** DRIVE_TIMING shrinks the series windows from 60 s to 5 s. */
const SCALE = DRIVE_TIMING.seriesWindowMs / FLEET_TIMING.seriesWindowMs;

/** The bundled policy file with every duration scaled to drive timing, plus `extraRules` (YAML list items) in its alertRules. */
function scaledPolicyFile(extraRules: readonly Record<string, unknown>[] = []): string {
  const doc = parseDocument(fs.readFileSync(path.join(PROJECT_ROOT, 'config', 'suppression-policies.yaml'), 'utf8'));
  for (const r of extraRules) doc.addIn(['alertRules'], r);
  visit(doc, {
    Pair(_, pair) {
      const k = isScalar(pair.key) ? pair.key.value : null;
      if ((k === 'suppressFor' || k === 'for' || k === 'keepFiringFor') && isScalar(pair.value)) pair.value.value = `${Math.round(parseDuration(String(pair.value.value)) * SCALE)}ms`;
    },
  });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-gray-')), 'drive-policies.yaml');
  fs.writeFileSync(file, doc.toString());
  return file;
}

/** The gray-release drive through the whole topology at drive timing on the replay runtime; its alert records. */
async function replayGrayRelease(policiesFile: string, timing: TopologyTiming = DRIVE_TIMING, driftDetector?: DriftDetectorChoice): Promise<OutputRecord[]> {
  const app = 'e2e-scaled';
  const partitions: Record<string, number> = Object.fromEntries(TOPIC_SPECS.map((t) => [t.name, t.partitions]));
  for (const name of ['spans-by-service', 'can-features-fleet', 'fmea-evidence', 'log-clusters-fleet']) partitions[repartitionTopicOf(app, name)] = DEFAULT_PARTITIONS;
  const out = replay(buildTopology({ app, timing, policiesFile, ...(driftDetector ? { driftDetector } : {}) }), [...bundledRuleRecords(), ...(await driveRecords(['gray-release-latency']))], { partitions });
  return out.outputs[Topics.alerts] ?? [];
}

// Replay runtime; the real-broker fleet test (kafka-fleet.test.ts) applies the same checks.
test('gray-release drive: alerts are suppressed and published exactly as the policies say', async () => {
  const out = await runOffline(['gray-release-latency']);
  checkGrayReleaseAlerts((out[Topics.alerts] ?? []).map((o) => o.value as Alert));
});

/**
 * The drive is two minutes long, so the bundled 5-minute hold never runs out in it. DRIVE_TIMING
 * shrinks the series windows from 60 s to 5 s (1/12); this test shrinks every duration of the bundled
 * policy file by the same factor (suppressFor 5m → 25 s, alert rules' for 1m → 5 s, keepFiringFor
 * 2m → 10 s), so the drive exercises the expiry at the scale it runs the windows at.
 */
test('gray-release drive with the policy durations scaled to drive timing: the P95 hold expires while the release is still in progress', async () => {
  const policiesFile = scaledPolicyFile();
  const holdMs = parseDuration('5m') * SCALE;
  assert.match(fs.readFileSync(policiesFile, 'utf8'), new RegExp(`suppressFor: ${holdMs}ms`));

  const alerts = (await replayGrayRelease(policiesFile)).map((o) => o.value as Alert);
  checkGrayReleaseAlerts(alerts, policiesFile);

  // The drive's manifest: bms is in release from START to END; the hold is the scaled 5 min.
  const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'drives', 'gray-release-latency', 'drive.json'), 'utf8')) as { baseTimeMs: number; faults: { onsetMs: number; params: { service: string } }[] };
  const fault = manifest.faults[0]!;
  const releaseStart = manifest.baseTimeMs + fault.onsetMs;
  const bms = alerts.filter((a) => a.source === 'DRIFT' && a.name === 'span.latency.p95' && a.labels.service === fault.params.service && a.eventTimeMs >= releaseStart);
  assert.ok(bms.some((a) => a.suppressed), 'suppressed at first');
  assert.ok(bms.some((a) => a.state !== 'RESOLVED' && !a.suppressed && a.eventTimeMs >= a.activeSinceMs + holdMs),
    `still drifting ${holdMs / 1000} s after onset: published unsuppressed (${bms.map((a) => `${a.state}@+${(a.eventTimeMs - a.activeSinceMs) / 1000}s suppressed=${a.suppressed}`).join(', ')})`);
});

/**
 * The drive's span drift lasts until its last closed window, so the bundled rules' alerts are still
 * active when it ends. One series does stop: the can_frames_total.rate of VIN-SIM-0001 drifts in a
 * single window (ending at +70 s) and its RECOVERED event comes only with the window ending at +85 s.
 * Its alert must resolve when the next window closes without drift (the heartbeat). The alerts stage's
 * lateness delays that timer, so it can fire inside a two-minute drive only with a lateness under one
 * series window: the replay runtime keeps the series stages in step, so half a window is enough here
 * (DRIVE_TIMING itself keeps the 2-min default, which the Kafka runtime needs at full replay speed).
 */
test('drive timing: an alert whose series stops drifting resolves through its heartbeat within the drive, one window after its last drifting window, not when RECOVERED comes 15 s later', async () => {
  const policiesFile = scaledPolicyFile([{ name: 'can-frames-rate-drift', match: ['__name__="can_frames_total.rate"'], for: '1m', keepFiringFor: '2m', severity: 'info' }]);
  const timing: TopologyTiming = { ...DRIVE_TIMING, alertLatenessMs: DRIVE_TIMING.seriesWindowMs / 2 };
  // The field rule: the adaptive default (rightly) sees no drift in that one window, and this test is about the heartbeat.
  const alerts = (await replayGrayRelease(policiesFile, timing, 'field-rule')).map((o) => o.value as AlertRecord).filter((a) => a.rule === 'can-frames-rate-drift');
  const mine = alerts.filter((a) => a.subject === 'can_frames_total.rate{bus="main"}@gray-release-latency/VIN-SIM-0001');
  assert.deepEqual(mine.map((a) => a.state), ['PENDING', 'RESOLVED'], `one drifting window: pending, then resolved (${alerts.map((a) => `${a.subject} ${a.state}`).join('; ')})`);
  const [pending, resolved] = mine as [AlertRecord, AlertRecord];
  // Heartbeat: the window after the last drifting one closed with no drift event.
  assert.equal(resolved.resolvedAtMs, pending.activeSinceMs + DRIVE_TIMING.seriesWindowMs + 1, `resolved at +${(resolved.resolvedAtMs! - pending.activeSinceMs) / 1000} s after the drifting window`);
  assert.equal(resolved.suppressed, false);
});
