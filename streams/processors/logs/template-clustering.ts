/**
 * Groups template vectors into clusters — DBSCAN (density-clustering) by default,
 * K-means (ml-kmeans) as the alternative — and keeps cluster ids stable across
 * re-clusterings and restarts: each new group inherits the id of the previous cluster
 * it shares the most templates with (greedy, largest overlap first, each old id used at
 * most once). Only groups without any predecessor get a fresh id.
 */
import { createRequire } from 'node:module';
import { kmeans } from 'ml-kmeans';
import { cosineDistance } from './template-vectorizer.ts';

/** How templates are grouped. */
export type ClusteringOptions =
  | { readonly method: 'dbscan'; readonly epsilon: number; readonly minPoints: number }
  | { readonly method: 'kmeans'; readonly k: number; readonly seed: number };

/** Default: DBSCAN with cosine radius 0.12 and minPoints 1 (every template belongs to a cluster; no noise). */
export const DEFAULT_CLUSTERING: ClusteringOptions = { method: 'dbscan', epsilon: 0.12, minPoints: 1 };

interface DbscanInstance {
  run(dataset: number[][], epsilon: number, minPts: number, distance: (a: number[], b: number[]) => number): number[][];
  noise: number[];
}
interface DensityClusteringModule {
  DBSCAN: new () => DbscanInstance;
}
// density-clustering is CommonJS without type declarations; load it through require with a local type.
const densityClustering = createRequire(import.meta.url)('density-clustering') as DensityClusteringModule;

/** Groups of indices into `vectors`; every index appears in exactly one group, groups in first-index order. */
export function groupVectors(vectors: readonly number[][], options: ClusteringOptions = DEFAULT_CLUSTERING): number[][] {
  if (vectors.length === 0) return [];
  let groups: number[][];
  if (options.method === 'dbscan') {
    const db = new densityClustering.DBSCAN();
    groups = db.run(vectors as number[][], options.epsilon, options.minPoints, cosineDistance).map((g) => [...g]);
    // DBSCAN noise points are templates unlike any other: each is its own cluster.
    for (const i of db.noise) groups.push([i]);
  } else {
    const k = Math.max(1, Math.min(options.k, vectors.length));
    const res = kmeans(vectors as number[][], k, { seed: options.seed, initialization: 'kmeans++' });
    const byCluster = new Map<number, number[]>();
    res.clusters.forEach((c, i) => byCluster.set(c, [...(byCluster.get(c) ?? []), i]));
    groups = [...byCluster.values()];
  }
  for (const g of groups) g.sort((a, b) => a - b);
  return groups.sort((a, b) => a[0]! - b[0]!);
}

/** Result of matching new groups of template ids to previous clusters. */
export interface ClusterMatch {
  /** Cluster id per new group (same order as the input groups). */
  readonly ids: string[];
  /** Ids that did not exist before. */
  readonly created: string[];
  /** Previous ids no group inherited. */
  readonly retired: string[];
  /** Retired id → id of the group now holding most of its templates (a merge, never a silent disappearance). */
  readonly absorbedBy: Map<string, string>;
  readonly nextSeq: number;
}

/** Gives each new group (of template ids) the id of the old cluster it overlaps most; fresh ids otherwise. */
export function matchClusterIds(
  groups: readonly (readonly number[])[],
  previous: ReadonlyMap<string, readonly number[]>,
  nextSeq: number,
  idPrefix: string,
): ClusterMatch {
  const owner = new Map<number, string>();
  for (const [cid, tids] of previous) for (const t of tids) owner.set(t, cid);
  const pairs: { g: number; cid: string; overlap: number }[] = [];
  groups.forEach((g, gi) => {
    const counts = new Map<string, number>();
    for (const t of g) {
      const cid = owner.get(t);
      if (cid !== undefined) counts.set(cid, (counts.get(cid) ?? 0) + 1);
    }
    for (const [cid, overlap] of counts) pairs.push({ g: gi, cid, overlap });
  });
  // Largest overlap wins; ties go to the older (lexicographically by sequence) id so the outcome is deterministic.
  pairs.sort((a, b) => b.overlap - a.overlap || compareIds(a.cid, b.cid) || a.g - b.g);
  const ids: (string | undefined)[] = groups.map(() => undefined);
  const used = new Set<string>();
  for (const p of pairs) {
    if (ids[p.g] !== undefined || used.has(p.cid)) continue;
    ids[p.g] = p.cid;
    used.add(p.cid);
  }
  const created: string[] = [];
  let seq = nextSeq;
  const final = ids.map((id) => {
    if (id !== undefined) return id;
    const fresh = `${idPrefix}${seq++}`;
    created.push(fresh);
    return fresh;
  });
  const retired = [...previous.keys()].filter((cid) => !used.has(cid));
  const absorbedBy = new Map<string, string>();
  for (const cid of retired) {
    const best = pairs.filter((p) => p.cid === cid)[0];
    if (best !== undefined) absorbedBy.set(cid, final[best.g]!);
  }
  return { ids: final, created, retired, absorbedBy, nextSeq: seq };
}

function compareIds(a: string, b: string): number {
  const na = Number(a.slice(a.lastIndexOf('c') + 1));
  const nb = Number(b.slice(b.lastIndexOf('c') + 1));
  if (Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
