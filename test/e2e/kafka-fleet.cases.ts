import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { BoardAction } from '../../streams/runtime/live/action-board.ts';
import { compareActions } from '../../streams/processors/fmea/action.ts';
import { followOutputs } from '../../streams/runtime/live/output-feed.ts';
import { startPipeline } from '../../streams/pipeline-session.ts';
import { stackEndpoints } from '../../streams/runtime/stack/stack.ts';
import { Topics } from '../../streams/topic-catalog.ts';
import { DRIVE_TIMING } from '../../streams/topology.ts';
import { replayDrives } from '../../vehicle-producer/publish/replay.ts';
import { DRIVES_DIR } from './drive-pipeline.ts';
import { faultDriveExpectations } from './expectations.ts';
import { checkGrayReleaseAlerts, type Alert } from './gray-release-checks.ts';

type Action = BoardAction & { evidence: Record<string, string[]> };

// Every bundled drive at once, as one fleet, through the Kafka runtime on the real broker and
// registry: the path `fmeaflow demo` takes. Each fault drive's entry must be published with its
// evidence, each faulty vehicle's own top action must be its fault's entry, and the clean drive's
// vehicles stay quiet. The canary entry depends on the releases global table being current when
// the spans are processed (the runtime waits for global tables to catch up before each batch).
test('all drives as one fleet on the real broker: every fault drive yields its entry, the clean drive none', { timeout: 300_000 }, async (t) => {
  const { brokers, registryUrl } = stackEndpoints();
  const app = `e2e-fleet-${Date.now().toString(36)}`;
  const session = await startPipeline({ app, brokers, registryUrl, timing: DRIVE_TIMING, fromLatest: true });
  t.after(() => session.stop());
  const actions = new Map<string, Action>();
  const alerts: Alert[] = [];
  const drift: { phase: string; seriesId: string }[] = [];
  const feed = await followOutputs(session.kafka, session.serde, [Topics.actions, Topics.alerts, Topics.drift], (r) => {
    if (r.topic === Topics.alerts) alerts.push(r.value as Alert);
    else if (r.topic === Topics.drift) { if (r.value !== null) drift.push(r.value as { phase: string; seriesId: string }); }
    else if (r.value !== null) actions.set(r.key, r.value as Action);
  });
  t.after(() => feed.stop());

  const expectations = faultDriveExpectations();
  await replayDrives({ drives: [...faultDriveExpectations().map((e) => e.drive), 'clean'].map((d) => path.join(DRIVES_DIR, d)), brokers, registryUrl, speed: 'max' });

  // Wait for the events themselves: every entry, the canary's alert and the release's P95 drift alerts.
  const satisfied = (): boolean => expectations.every((e) => [...actions.values()].some((a) => a.entryId === e.entryId))
    && alerts.some((a) => a.source === 'CANARY' && a.state === 'FIRING') && alerts.some((a) => a.source === 'DRIFT' && a.name === 'span.latency.p95');
  const deadline = Date.now() + 120_000;
  while (!satisfied() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));

  const all = [...actions.values()];
  for (const e of expectations) {
    const mine = all.filter((a) => a.entryId === e.entryId);
    assert.ok(mine.length > 0, `${e.drive}: ${e.entryId} was published (have: ${[...new Set(all.map((a) => a.entryId))].join(', ')})`);
    for (const a of mine) assert.ok(e.evidence(a.evidence), `${a.key} carries the expected evidence`);
    for (const vehicle of new Set(mine.filter((a) => a.scopeKind.toLowerCase() === 'vehicle').map((a) => a.scopeId))) {
      assert.ok(e.affected.includes(vehicle), `${vehicle} is an affected vehicle of ${e.drive}`);
      const top = all.filter((a) => a.scopeKind.toLowerCase() === 'vehicle' && a.scopeId === vehicle).sort(compareActions)[0]!;
      assert.equal(top.entryId, e.entryId, `${vehicle}: top-ranked action`);
    }
  }
  // The engine lags the max-speed replay, so its releases table often already shows END while the
  // drift of the release is processed: suppression must still follow the policies as of each alert's time.
  checkGrayReleaseAlerts(alerts);
  const cleanHits = all.filter((a) => a.scopeId.startsWith('clean/') || (a.evidence.vehicles ?? []).some((v) => v.startsWith('clean/')));
  assert.deepEqual(cleanHits.map((a) => a.key), [], 'no action names a vehicle of the clean drive');
  // The healthy vehicles' own series (scope clean/<vehicle>) never start a drift, and no alert fires on them.
  assert.ok(drift.length > 0, 'drift events of the fault drives were read');
  assert.deepEqual(drift.filter((e) => e.phase === 'ONSET' && e.seriesId.includes('@clean/')).map((e) => e.seriesId), [], 'no drift onset on a clean-drive vehicle');
  assert.deepEqual(alerts.filter((a) => (a as { state?: string }).state === 'FIRING' && JSON.stringify(a).includes('clean/')).map((a) => JSON.stringify(a).slice(0, 200)), [], 'no alert fires on a clean-drive vehicle');
});
