import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { EVIDENCE_ADAPTERS } from '../../../streams/processors/fmea/evidence/adapters.ts';
import type { Evidence } from '../../../streams/processors/fmea/evidence/evidence.ts';
import { TOPIC_SPECS, Topics } from '../../../streams/topic-catalog.ts';

/** The schema's example as the serde would hand it to a processor (Avro-decoded). */
function decodedExample(topic: string): Record<string, unknown> {
  const schema = TOPIC_SPECS.find((t) => t.name === topic)!.schema;
  const type = avro.Type.forSchema(JSON.parse(readFileSync(`schemas/${schema}`, 'utf8')));
  const example = JSON.parse(readFileSync(`schemas/examples/${schema.replace('.avsc', '.json')}`, 'utf8'));
  return type.fromBuffer(type.toBuffer(example)) as Record<string, unknown>;
}
const adapt = (topic: string, v: unknown): Evidence[] => EVIDENCE_ADAPTERS.get(topic)!.toEvidence(v);

test('every evidence topic of the catalog has an adapter', () => {
  for (const t of [Topics.logClusters, Topics.drift, Topics.alerts, Topics.canaryVerdicts, Topics.canFeatures, Topics.canClusters]) assert.ok(EVIDENCE_ADAPTERS.has(t), t);
});

test('log cluster event example → evidence with templates, vehicles and trace ids', () => {
  const v = decodedExample(Topics.logClusters) as { clusterId: string; eventType: string; windowEndMs: number; templates: { template: string }[]; vehicleCounts: { vehicleId: string }[]; examples: { traceId: string | null }[]; keywords: string[] };
  const [ev] = adapt(Topics.logClusters, v);
  assert.ok(ev && ev.kind === 'logCluster');
  assert.equal(ev.clusterId, v.clusterId);
  assert.equal(ev.eventType, v.eventType);
  assert.equal(ev.timeMs, Number(v.windowEndMs));
  assert.deepEqual(ev.templates, v.templates.map((t) => t.template));
  assert.deepEqual(ev.keywords, v.keywords);
  for (const c of v.vehicleCounts) assert.ok(ev.vehicles.includes(c.vehicleId));
  for (const e of v.examples) if (e.traceId) assert.ok(ev.traceIds.includes(e.traceId));
});

test('drift event and alert examples → series evidence (scope fleet means no vehicle)', () => {
  for (const topic of [Topics.drift, Topics.alerts]) {
    const v = decodedExample(topic) as { name: string; labels: Record<string, string>; scope: string; value: number; suppressed?: boolean };
    const [ev] = adapt(topic, v);
    assert.ok(ev && (ev.kind === 'drift' || ev.kind === 'alert'), topic);
    assert.equal(ev.series, v.name);
    assert.deepEqual(ev.labels, v.labels);
    assert.equal(ev.value, v.value);
    assert.deepEqual(ev.vehicles, v.scope === 'fleet' ? [] : [v.scope]);
    if (topic === Topics.alerts) assert.equal(ev.suppressed, v.suppressed);
  }
  const recovered = { ...decodedExample(Topics.drift), phase: 'RECOVERED' };
  assert.deepEqual(adapt(Topics.drift, recovered), []);
  const resolved = { ...decodedExample(Topics.alerts), state: 'RESOLVED' };
  assert.deepEqual(adapt(Topics.alerts, resolved), []);
});

test('canary verdict example → canary evidence with lower-case verdict', () => {
  const v = decodedExample(Topics.canaryVerdicts) as { releaseId: string; service: string; metric: string; verdict: string; evaluatedAtMs: number };
  const [ev] = adapt(Topics.canaryVerdicts, v);
  assert.ok(ev && ev.kind === 'canary');
  assert.equal(ev.verdict, v.verdict.toLowerCase());
  assert.equal(ev.metric, v.metric);
  assert.equal(ev.ref, `${v.releaseId}/${v.service}/${v.metric}`);
  assert.equal(ev.timeMs, Number(v.evaluatedAtMs));
});

test('CAN cluster snapshot example → one evidence per cluster, each compared with the largest other cluster', () => {
  const v = decodedExample(Topics.canClusters) as { clusters: { clusterId: number; size: number; centroid: Record<string, number> }[] };
  const evs = adapt(Topics.canClusters, v);
  assert.equal(evs.length, v.clusters.length);
  // The example has a 96-vehicle cluster 0 and a 4-vehicle cluster 1: each one's normal is the other.
  const [big, small] = v.clusters;
  const normalOf = (id: number) => evs.find((e) => e.kind === 'canCluster' && e.clusterId === id) as { normal: Record<string, number> };
  assert.deepEqual(normalOf(small!.clusterId).normal, big!.centroid);
  assert.deepEqual(normalOf(big!.clusterId).normal, small!.centroid);
});

test('a fault on half the fleet is not its own normal: with two equal clusters each is compared with the other', () => {
  const healthy = { dlc_mismatch_share: 0, error_frame_share: 0, nrc_share: 0 };
  const failing = { dlc_mismatch_share: 0, error_frame_share: 0, nrc_share: 0.78 };
  const snap = {
    snapshotId: 'p0-1', partition: 0, computedAtMs: 1_736_150_470_000, periodMs: 10_000, dimensions: Object.keys(healthy), k: 2, kChosenBy: 'silhouette', silhouette: 0.9,
    vectorCount: 4, droppedVectors: 0, means: healthy, stdDevs: healthy,
    clusters: [
      { clusterId: 0, size: 2, share: 0.5, centroid: failing, centroidZ: failing, memberVehicles: ['V3', 'V4'] },
      { clusterId: 1, size: 2, share: 0.5, centroid: healthy, centroidZ: healthy, memberVehicles: ['V1', 'V2'] },
    ],
  };
  const ev = adapt(Topics.canClusters, snap).find((e) => e.kind === 'canCluster' && e.clusterId === 0) as { normal: Record<string, number> };
  assert.equal(ev.normal.nrc_share, 0);
});
