import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument, isScalar, visit } from 'yaml';
import { replay } from '../../streams/runtime/replay/replay.ts';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';
import { DEFAULT_PARTITIONS, TOPIC_SPECS, Topics } from '../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING, FLEET_TIMING, repartitionTopicOf } from '../../streams/topology.ts';
import { bundledRuleRecords, driveRecords, runOffline } from './drive-pipeline.ts';
import { checkGrayReleaseAlerts, parseDuration, type Alert } from './gray-release-checks.ts';

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
  const scale = DRIVE_TIMING.seriesWindowMs / FLEET_TIMING.seriesWindowMs;
  const doc = parseDocument(fs.readFileSync(path.join(PROJECT_ROOT, 'config', 'suppression-policies.yaml'), 'utf8'));
  visit(doc, {
    Pair(_, pair) {
      const k = isScalar(pair.key) ? pair.key.value : null;
      if ((k === 'suppressFor' || k === 'for' || k === 'keepFiringFor') && isScalar(pair.value)) pair.value.value = `${Math.round(parseDuration(String(pair.value.value)) * scale)}ms`;
    },
  });
  const policiesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-gray-')), 'drive-policies.yaml');
  fs.writeFileSync(policiesFile, doc.toString());
  const holdMs = parseDuration('5m') * scale;
  assert.match(fs.readFileSync(policiesFile, 'utf8'), new RegExp(`suppressFor: ${holdMs}ms`));

  const app = 'e2e-scaled';
  const partitions: Record<string, number> = Object.fromEntries(TOPIC_SPECS.map((t) => [t.name, t.partitions]));
  for (const name of ['spans-by-service', 'can-features-fleet', 'fmea-evidence', 'log-clusters-fleet']) partitions[repartitionTopicOf(app, name)] = DEFAULT_PARTITIONS;
  const out = replay(buildTopology({ app, timing: DRIVE_TIMING, policiesFile }), [...bundledRuleRecords(), ...(await driveRecords(['gray-release-latency']))], { partitions });
  const alerts = (out.outputs[Topics.alerts] ?? []).map((o) => o.value as Alert);
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
