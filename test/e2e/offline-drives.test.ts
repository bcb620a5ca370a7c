import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BoardAction } from '../../streams/runtime/live/action-board.ts';
import { compareActions } from '../../streams/processors/fmea/action.ts';
import { Topics } from '../../streams/topic-catalog.ts';
import { DRIVE_TIMING } from '../../streams/topology.ts';
import { readFileSync } from 'node:fs';
import { toRuleSetRecords } from '../../streams/fmea/rule-set-records.ts';
import { bundledRuleRecords, driveRecords, runOffline } from './drive-pipeline.ts';
import { faultDriveExpectations, latestActions } from './expectations.ts';

type Action = BoardAction & { evidence: Record<string, string[]>; fleetSize?: number };

// The replay runtime runs the same processors as the Kafka runtime, deterministically and without a
// broker; the Kafka end-to-end test repeats the fleet case on the real broker.
for (const exp of faultDriveExpectations()) {
  test(`${exp.drive}: ${exp.entryId} ranks first within two windows of the onset, with its evidence`, async () => {
    const out = await runOffline([exp.drive]);
    const actions = latestActions<Action>(out[Topics.actions] ?? []).sort(compareActions);
    assert.ok(actions.length > 0, 'the fault drive yields actions');
    assert.equal(actions[0]!.entryId, exp.entryId, `top action is ${exp.entryId}, got ${actions.map((a) => a.entryId).join(',')}`);
    const mine = actions.filter((a) => a.entryId === exp.entryId);
    const window = Math.max(DRIVE_TIMING.canWindowMs, DRIVE_TIMING.logWindowMs, DRIVE_TIMING.seriesWindowMs);
    for (const a of mine) {
      assert.ok(a.firstSeenMs <= exp.onsetMs + 2 * window, `${a.key} first seen ${(a.firstSeenMs - exp.onsetMs) / 1000}s after onset`);
      assert.ok(exp.evidence(a.evidence), `${a.key} carries the expected evidence: ${JSON.stringify(a.evidence)}`);
    }
    const vehicleScoped = mine.filter((a) => a.scopeKind.toLowerCase() === 'vehicle');
    if (exp.vehicleScope) assert.ok(vehicleScoped.length > 0, 'at least one affected vehicle is named');
    for (const a of vehicleScoped) assert.ok(exp.affected.includes(a.scopeId), `${a.scopeId} is one of the affected vehicles ${exp.affected}`);
  });
}

test('the clean drive yields no action, fires no alert and starts no drift', async () => {
  const out = await runOffline(['clean']);
  assert.deepEqual(latestActions(out[Topics.actions] ?? []), []);
  const fired = (out[Topics.alerts] ?? []).map((r) => r.value as { state: string; subject: string } | null).filter((a) => a?.state === 'FIRING');
  assert.deepEqual(fired.map((a) => a!.subject), [], 'no alert fires on a healthy drive');
  const onsets = (out[Topics.drift] ?? []).map((r) => r.value as { phase: string; seriesId: string } | null).filter((e) => e?.phase === 'ONSET');
  assert.deepEqual(onsets.map((e) => e!.seriesId), [], 'no series of a healthy drive starts a drift');
});

test('can-timeout: the 0x2A3 heartbeat the DBC says is periodic goes missing on the affected vehicles after the onset only', async () => {
  const exp = faultDriveExpectations().find((e) => e.drive === 'can-timeout')!;
  const out = await runOffline(['can-timeout']);
  type Fv = { vehicleId: string; windowStartMs: number; windowEndMs: number; features: Record<string, number> };
  const vectors = (out[Topics.canFeatures] ?? []).map((r) => r.value as Fv);
  const share = (pick: (v: Fv) => boolean): number[] => vectors.filter(pick).map((v) => v.features.missing_periodic_share!);
  const before = share((v) => v.windowEndMs <= exp.onsetMs);
  const affectedAfter = share((v) => exp.affected.includes(v.vehicleId) && v.windowStartMs >= exp.onsetMs);
  const othersAfter = share((v) => !exp.affected.includes(v.vehicleId) && v.windowStartMs >= exp.onsetMs);
  assert.ok(before.length > 0 && affectedAfter.length > 0 && othersAfter.length > 0, 'windows before and after the onset, on both groups');
  // The scenario drops 60 % of the 100 ms heartbeats on affected vehicles; a healthy bus misses at most a jittered frame.
  assert.ok(Math.max(...before, ...othersAfter) < 0.05, `healthy windows miss < 5 %: ${Math.max(...before, ...othersAfter)}`);
  assert.ok(Math.min(...affectedAfter) > 0.3, `every affected window after the onset misses > 30 %: ${affectedAfter.map((x) => x.toFixed(2))}`);
});

test('bootloader-check-fail: the fleet CAN clustering singles out the affected vehicles after the onset, and S-FLA-22 cites it', async () => {
  const exp = faultDriveExpectations().find((e) => e.drive === 'bootloader-check-fail')!;
  const out = await runOffline(['bootloader-check-fail']);
  type Snap = { snapshotId: string; computedAtMs: number; clusters: { clusterId: number; centroid: Record<string, number>; memberVehicles: string[] }[] };
  const snaps = (out[Topics.canClusters] ?? []).map((r) => r.value as Snap);
  assert.ok(snaps.some((s) => s.computedAtMs <= exp.onsetMs), 'snapshots before the onset');
  // Within two clustering periods of the onset, a cluster of negative-response-dominated vehicles, all of them affected.
  const soon = snaps.filter((s) => s.computedAtMs > exp.onsetMs && s.computedAtMs <= exp.onsetMs + 2 * DRIVE_TIMING.canClusterPeriodMs);
  const failing = soon.flatMap((s) => s.clusters.filter((c) => c.centroid.nrc_share! > 0.67).map((c) => ({ s, c })));
  assert.ok(failing.length > 0, `a 0x7F-dominated cluster soon after the onset: ${JSON.stringify(soon.map((s) => s.clusters.map((c) => c.centroid.nrc_share)))}`);
  for (const { c } of failing) for (const v of c.memberVehicles) assert.ok(exp.affected.includes(v), `${v} is affected`);
  const actions = latestActions<Action>(out[Topics.actions] ?? []).filter((a) => a.entryId === 'S-FLA-22');
  const refs = new Set(failing.map(({ s, c }) => `${s.snapshotId}#${c.clusterId}`));
  assert.ok(actions.some((a) => a.evidence.canClusters!.some((r) => refs.has(r))), `S-FLA-22 cites the failing cluster: ${JSON.stringify(actions.map((a) => a.evidence.canClusters))}`);
});

test('harness-reflection: with S-ODS-08 at model scope, the vehicle registry the replay writes first activates it for the affected vehicle\'s model only', async () => {
  const exp = faultDriveExpectations().find((e) => e.drive === 'harness-reflection')!;
  const registry = (await driveRecords(['harness-reflection'])).filter((r) => r.topic === Topics.vehicles);
  const modelOf = new Map(registry.map((r) => [r.key, (r.value as { model: string }).model]));
  assert.equal(modelOf.size, 4, 'one registry record per drive vehicle');
  const text = readFileSync('fmea-rules/can-network.yaml', 'utf8').replace('scopes: [vehicle, fleet]', 'scopes: [vehicle, model, fleet]');
  const rules = [...bundledRuleRecords().filter((r) => r.key !== 'can-network'), ...toRuleSetRecords([{ file: 'fmea-rules/can-network.yaml', text }], 0, 'e2e').map((r) => ({ topic: Topics.rules, key: r.worksheet, value: r }))];
  const out = await runOffline(['harness-reflection'], 'e2e', rules);
  const models = latestActions<Action>(out[Topics.actions] ?? []).filter((a) => a.entryId === 'S-ODS-08' && a.scopeKind.toLowerCase() === 'model');
  const affectedModels = [...new Set(exp.affected.map((v) => modelOf.get(v)!))];
  assert.deepEqual(models.map((a) => a.scopeId), affectedModels, `model actions ${models.map((a) => a.key)} vs models of ${exp.affected}`);
  const ofModel = [...modelOf.values()].filter((m) => m === affectedModels[0]).length;
  assert.equal(models[0]!.fleetSize, ofModel, 'the observed share is over the vehicles of that model');
  assert.equal(models[0]!.affectedVehicles, exp.affected.length);
});
