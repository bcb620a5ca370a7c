/**
 * Fleet-wide clustering of CAN feature vectors: vectors missing more than 15 % of their
 * dimensions are dropped, the rest z-score normalised per dimension (remaining gaps imputed
 * at the mean, z = 0), clustered with k-means (ml-kmeans, k-means++ seeded for
 * reproducibility; k fixed or chosen by the mean silhouette), and every cluster described by
 * its centroid in original units — because labels are arbitrary and rules match on what a
 * centroid looks like, not on its number.
 */
import { kmeans } from 'ml-kmeans';

export interface VectorInput {
  readonly vehicleId: string;
  readonly features: Readonly<Record<string, number>>;
}

export interface ClusterOptions {
  readonly dimensions: readonly string[];
  /** Fixed k, or 'auto' for the best silhouette in [kMin, kMax] (default 'auto'). */
  readonly k?: number | 'auto';
  readonly kMin?: number;
  readonly kMax?: number;
  /** Drop vectors with more than this share of dimensions missing (default 0.15). */
  readonly maxMissingShare?: number;
  readonly seed?: number;
  /** Member vehicle ids listed per cluster (default 50). */
  readonly maxMembersListed?: number;
  /** Points used to compute silhouettes (sampled evenly above; default 1500). */
  readonly silhouetteSample?: number;
}

export interface ClusterDescription {
  readonly clusterId: number;
  readonly size: number;
  readonly share: number;
  /** Mean of the members' observed values per dimension, original units. */
  readonly centroid: Record<string, number>;
  readonly centroidZ: Record<string, number>;
  readonly memberVehicles: string[];
}

export interface ClusteringResult {
  readonly k: number;
  readonly kChosenBy: 'fixed' | 'silhouette' | 'too-few-vectors';
  readonly silhouette: number | null;
  readonly vectorCount: number;
  readonly droppedVectors: number;
  readonly means: Record<string, number>;
  readonly stdDevs: Record<string, number>;
  readonly clusters: ClusterDescription[];
  /** Cluster index per kept input vector, in input order of the kept ones. */
  readonly assignments: number[];
  readonly keptVehicles: string[];
}

function dist(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i]! - b[i]!; s += d * d; }
  return Math.sqrt(s);
}

/** Mean silhouette coefficient (Rousseeuw 1987) of a labelling; singletons count 0. */
export function meanSilhouette(points: readonly (readonly number[])[], labels: readonly number[], k: number): number {
  const n = points.length;
  if (n < 2 || k < 2) return 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      sums[labels[j]!]! += dist(points[i]!, points[j]!);
      counts[labels[j]!]!++;
    }
    const own = labels[i]!;
    if (counts[own] === 0) continue;
    const a = sums[own]! / counts[own]!;
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && counts[c]! > 0) b = Math.min(b, sums[c]! / counts[c]!);
    if (b === Infinity) continue;
    const m = Math.max(a, b);
    total += m > 0 ? (b - a) / m : 0;
  }
  return total / n;
}

/** Clusters feature vectors; see the module comment for the procedure. */
export function clusterFeatureVectors(input: readonly VectorInput[], opts: ClusterOptions): ClusteringResult {
  const dims = opts.dimensions;
  const maxMissing = opts.maxMissingShare ?? 0.15;
  const seed = opts.seed ?? 42;
  const kept = input.filter((v) => dims.filter((d) => !Number.isFinite(v.features[d])).length / dims.length <= maxMissing);
  const means: Record<string, number> = {};
  const stdDevs: Record<string, number> = {};
  for (const d of dims) {
    const xs = kept.map((v) => v.features[d]).filter((x): x is number => Number.isFinite(x));
    const mean = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    const variance = xs.length ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length : 0;
    means[d] = mean;
    stdDevs[d] = Math.sqrt(variance);
  }
  const z = kept.map((v) => dims.map((d) => {
    const x = v.features[d];
    const sd = stdDevs[d]!;
    return Number.isFinite(x) && sd > 0 ? (x! - means[d]!) / sd : 0;
  }));
  const base = { vectorCount: kept.length, droppedVectors: input.length - kept.length, means, stdDevs, keptVehicles: kept.map((v) => v.vehicleId) };
  if (kept.length === 0) return { ...base, k: 0, kChosenBy: 'too-few-vectors', silhouette: null, clusters: [], assignments: [] };

  const run = (k: number): number[] => (k <= 1 ? z.map(() => 0) : kmeans(z, k, { seed, initialization: 'kmeans++', maxIterations: 100 }).clusters);
  let k: number;
  let labels: number[];
  let silhouette: number | null = null;
  let chosenBy: ClusteringResult['kChosenBy'];
  const distinct = new Set(z.map((p) => p.join(','))).size;
  if (typeof opts.k === 'number') {
    k = Math.max(1, Math.min(opts.k, distinct));
    labels = run(k);
    chosenBy = k === opts.k ? 'fixed' : 'too-few-vectors';
  } else {
    const kMin = Math.max(2, opts.kMin ?? 2);
    const kMax = Math.min(opts.kMax ?? 6, distinct - 1);
    if (kMax < kMin) {
      k = Math.min(distinct, kMin);
      labels = run(k);
      chosenBy = 'too-few-vectors';
    } else {
      const sampleN = opts.silhouetteSample ?? 1500;
      const step = Math.max(1, Math.ceil(z.length / sampleN));
      const idx = z.map((_, i) => i).filter((i) => i % step === 0);
      let best = { k: kMin, s: -Infinity, labels: [] as number[] };
      for (let kk = kMin; kk <= kMax; kk++) {
        const l = run(kk);
        const s = meanSilhouette(idx.map((i) => z[i]!), idx.map((i) => l[i]!), kk);
        if (s > best.s) best = { k: kk, s, labels: l };
      }
      k = best.k;
      labels = best.labels;
      silhouette = best.s;
      chosenBy = 'silhouette';
    }
  }
  if (silhouette === null && k >= 2) silhouette = meanSilhouette(z, labels, k);

  const maxListed = opts.maxMembersListed ?? 50;
  const clusters: ClusterDescription[] = [];
  for (let c = 0; c < k; c++) {
    const members = labels.map((l, i) => (l === c ? i : -1)).filter((i) => i >= 0);
    if (members.length === 0) continue;
    const centroid: Record<string, number> = {};
    const centroidZ: Record<string, number> = {};
    dims.forEach((d, j) => {
      const xs = members.map((i) => kept[i]!.features[d]).filter((x): x is number => Number.isFinite(x));
      if (xs.length) centroid[d] = xs.reduce((a, b) => a + b, 0) / xs.length;
      centroidZ[d] = members.reduce((a, i) => a + z[i]![j]!, 0) / members.length;
    });
    clusters.push({ clusterId: c, size: members.length, share: members.length / kept.length, centroid, centroidZ, memberVehicles: [...new Set(members.map((i) => kept[i]!.vehicleId))].slice(0, maxListed) });
  }
  return { ...base, k, kChosenBy: chosenBy, silhouette, clusters, assignments: labels };
}
