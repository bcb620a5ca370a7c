import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { createCanClustersProcessor, type CanClusterSnapshot } from '../../../streams/processors/can/can-clusters.ts';
import { createCanFeaturesProcessor, type CanFeatureVector } from '../../../streams/processors/can/can-features.ts';
import { clusterFeatureVectors, meanSilhouette } from '../../../streams/processors/can/kmeans-clustering.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from '../fmea/harness.ts';

const DIMS = ['a', 'b', 'c'];
// Two tight groups far apart in original units (different scales per dimension), built by construction.
const groupA = Array.from({ length: 20 }, (_, i) => ({ vehicleId: `A${i}`, features: { a: 10 + (i % 3) * 0.1, b: 0.01 + (i % 2) * 0.001, c: 500 + (i % 4) } }));
const groupB = Array.from({ length: 5 }, (_, i) => ({ vehicleId: `B${i}`, features: { a: 30 + (i % 2) * 0.1, b: 0.4 + (i % 2) * 0.002, c: 100 + i } }));
const sparse = { vehicleId: 'S0', features: { a: 10 } }; // 2 of 3 dimensions missing (67 % > 15 %)
const mean = (xs: number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;

test('k chosen by silhouette separates the constructed groups; centroids in original units', () => {
  const r = clusterFeatureVectors([...groupA, ...groupB, sparse], { dimensions: DIMS, seed: 7 });
  assert.equal(r.k, 2);
  assert.equal(r.kChosenBy, 'silhouette');
  assert.equal(r.droppedVectors, 1);
  assert.equal(r.vectorCount, 25);
  const big = r.clusters.find((c) => c.size === 20)!;
  const small = r.clusters.find((c) => c.size === 5)!;
  assert.ok(big && small);
  assert.deepEqual(new Set(big.memberVehicles), new Set(groupA.map((v) => v.vehicleId)));
  assert.deepEqual(new Set(small.memberVehicles), new Set(groupB.map((v) => v.vehicleId)));
  for (const d of DIMS) {
    assert.ok(Math.abs(big.centroid[d]! - mean(groupA.map((v) => v.features[d as 'a']))) < 1e-9);
    assert.ok(Math.abs(small.centroid[d]! - mean(groupB.map((v) => v.features[d as 'a']))) < 1e-9);
  }
  assert.equal(small.share, 0.2);
  assert.ok(r.silhouette! > 0.9);
});

test('z-score normalisation: a dimension with a huge scale does not dominate', () => {
  // Groups differ only in `b` (0.01 vs 0.4); `c` is pure noise with a scale 1000x larger.
  const noisy = [...groupA, ...groupB].map((v, i) => ({ vehicleId: v.vehicleId, features: { a: 1, b: v.features.b, c: 1000 + ((i * 37) % 11) * 50 } }));
  const r = clusterFeatureVectors(noisy, { dimensions: DIMS, k: 2, seed: 1 });
  const sizes = r.clusters.map((c) => c.size).sort((x, y) => x - y);
  assert.deepEqual(sizes, [5, 20]);
});

test('fixed k, and too few vectors', () => {
  const r = clusterFeatureVectors([...groupA, ...groupB], { dimensions: DIMS, k: 3, seed: 3 });
  assert.equal(r.k, 3);
  assert.equal(r.clusters.reduce((s, c) => s + c.size, 0), 25);
  const none = clusterFeatureVectors([sparse], { dimensions: DIMS });
  assert.equal(none.k, 0);
  assert.equal(none.droppedVectors, 1);
});

test('silhouette by hand on four points', () => {
  // points 0,1 (cluster 0) and 10,11 (cluster 1) on a line: a = 1, b = mean(10,11) or (9,10)
  const s = meanSilhouette([[0], [1], [10], [11]], [0, 0, 1, 1], 2);
  const s0 = (10.5 - 1) / 10.5; // point 0: a=1, b=(10+11)/2
  const s1 = (9.5 - 1) / 9.5; // point 1: a=1, b=(9+10)/2
  assert.ok(Math.abs(s - (2 * s0 + 2 * s1) / 4) < 1e-12);
});

test('the cluster processor publishes a snapshot per period from the latest vector per vehicle', () => {
  const d = new Driver(createCanClustersProcessor({ periodMs: 60_000, dimensions: DIMS, seed: 5 }));
  const T = 1_764_000_000_000; // multiple of 60 s
  const vec = (v: { vehicleId: string; features: Record<string, number> }, t: number): CanFeatureVector => ({ vehicleId: v.vehicleId, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, coveredMs: 10_000, frameCount: 1, bitrateBps: 500_000, features: v.features, missingDimensions: [], dtcCodes: [], droppedFrames: 0 });
  for (const v of [...groupA, ...groupB]) d.feed(Topics.canFeatures, vec(v, T + 10_000));
  // B0 later behaves like group A: only its latest vector counts
  d.feed(Topics.canFeatures, vec({ vehicleId: 'B0', features: groupA[0]!.features }, T + 20_000));
  const [snap] = d.advanceTo(T + 60_000) as CanClusterSnapshot[];
  assert.ok(snap);
  assert.equal(snap.vectorCount, 25);
  assert.deepEqual(snap.clusters.map((c) => c.size).sort((x, y) => x - y), [4, 21]);
  assert.equal(snap.snapshotId, `p0-${T + 60_000}`);
  const t = avro.Type.forSchema(JSON.parse(readFileSync('schemas/can-cluster-snapshot.avsc', 'utf8')));
  assert.ok(t.isValid(snap, { errorHook: (p) => assert.fail(`invalid at ${p.join('.')}`) }));
});

test('CAN feature vectors from the processor are valid can-feature-vector records', () => {
  const d = new Driver(createCanFeaturesProcessor());
  const T = 1_764_000_000_000;
  d.feed(Topics.can, { vehicleId: 'V1', bus: 'main', bitrateBps: 500_000, seq: 1, batchStartUs: T * 1000, batchEndUs: (T + 10_000) * 1000, frames: [{ timestampUs: (T + 5) * 1000, id: 0x7e8, dlc: 3, data: Uint8Array.from([2, 0x50, 1]) }], droppedFrames: 0 });
  const [v] = d.advanceTo(T + 10_000);
  const t = avro.Type.forSchema(JSON.parse(readFileSync('schemas/can-feature-vector.avsc', 'utf8')));
  assert.ok(t.isValid(v, { errorHook: (p) => assert.fail(`invalid at ${p.join('.')}`) }));
});
