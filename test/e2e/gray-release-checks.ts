/**
 * The gray-release drive's alert expectations, from its release events and the policy file (not
 * from the engine): shared by the replay-runtime test and the real-broker fleet test.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import YAML from 'yaml';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';
import { DRIVES_DIR } from './drive-pipeline.ts';

export interface Alert {
  alertId: string; rule: string; source: string; state: string; labels: Record<string, string>; name: string; eventTimeMs: number; activeSinceMs: number;
  suppressed: boolean; unsuppressible: boolean; suppression: { policy: string; releaseId: string; untilMs: number | null } | null;
}

/** `250ms`, `30s`, `5m`, `1h` in ms. */
export const parseDuration = (s: string): number => {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(s)!;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
};

/**
 * Asserts that `alerts` (every alert record published) follow the suppression policies of `policiesFile`
 * (default: the bundled config/suppression-policies.yaml) for the gray-release drive.
 */
export function checkGrayReleaseAlerts(alerts: readonly Alert[], policiesFile = path.join(PROJECT_ROOT, 'config', 'suppression-policies.yaml')): void {
  const releases = zlib.gunzipSync(fs.readFileSync(path.join(DRIVES_DIR, 'gray-release-latency', 'releases.jsonl.gz'))).toString().trim().split('\n').map((l) => JSON.parse(l) as { releaseId: string; service: string; phase: string; timestampMs: number });
  const start = releases.find((r) => r.phase === 'START')!;
  const end = releases.find((r) => ['END', 'PROMOTE', 'ROLLBACK'].includes(r.phase))!;
  const releaseId = `gray-release-latency/${start.releaseId}`; // replayed drives prefix their ids with the drive name
  const policies = YAML.parse(fs.readFileSync(policiesFile, 'utf8')) as { policies: { name: string; match: string[]; suppressFor?: string }[] };
  const latencyPolicy = policies.policies.find((p) => p.match.includes('__name__="span.latency.p95"') && p.suppressFor)!;
  const holdMs = parseDuration(latencyPolicy.suppressFor!);
  assert.ok(alerts.length > 0, 'the drive raises alerts');

  const canary = alerts.filter((a) => a.source === 'CANARY');
  assert.ok(canary.some((a) => a.state === 'FIRING'), 'the canary latency regression fires its own alert');
  for (const a of canary) assert.ok(!a.suppressed && a.unsuppressible, 'a canary alert is never suppressed');

  const p95 = alerts.filter((a) => a.source === 'DRIFT' && a.name === 'span.latency.p95');
  const released = p95.filter((a) => a.labels.service === start.service && a.eventTimeMs >= start.timestampMs && a.eventTimeMs < end.timestampMs);
  assert.ok(released.length > 0, `P95 latency of ${start.service} drifts during its release`);
  for (const a of released) {
    const inHold = a.eventTimeMs < a.activeSinceMs + holdMs;
    assert.equal(a.suppressed, inHold, `${a.state} at +${(a.eventTimeMs - a.activeSinceMs) / 1000}s suppressed only within ${latencyPolicy.suppressFor}`);
    if (a.suppressed) {
      assert.equal(a.suppression!.policy, latencyPolicy.name);
      assert.equal(a.suppression!.releaseId, releaseId);
      assert.equal(a.suppression!.untilMs, a.activeSinceMs + holdMs, 'the audit record says when suppression ends');
    }
  }
  for (const a of alerts) {
    if (a.state === 'RESOLVED') assert.equal(a.suppressed, false, 'a resolved alert is not suppressed');
    if (a.eventTimeMs >= end.timestampMs) assert.equal(a.suppressed, false, `after the release's ${end.phase} nothing is suppressed`);
  }
  for (const a of p95.filter((x) => x.labels.service !== start.service)) {
    assert.equal(a.suppressed, false, `${a.labels.service} is not in release, so its P95 alert is not suppressed`);
  }
}
