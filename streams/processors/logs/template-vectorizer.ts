/**
 * Builds the 128-dimensional template vector: a fixed random projection of
 * (TF-IDF weights ⊕ learned code). The projection of each token is generated from a
 * hash of the token and a seed, so the sparse TF-IDF side needs no stored matrix and
 * no vocabulary index — tokens entering or leaving the sliding vocabulary never shift
 * other tokens' coordinates. Random projection keeps cosine similarities approximately
 * (Johnson–Lindenstrauss), which is all DBSCAN needs.
 */
import seedrandom from 'seedrandom';

/** Shape of the output vector and the weight of the learned part. */
export interface VectorizerOptions {
  readonly dimension: number;
  readonly seed: string;
  /** Weight of the (normalised) learned code relative to the (normalised) TF-IDF part. */
  readonly codeWeight: number;
}

/** Defaults: 128 dimensions, as the issue asks. */
export const DEFAULT_VECTORIZER_OPTIONS: VectorizerOptions = { dimension: 128, seed: 'fmeaflow-logs', codeWeight: 0.5 };

const MAX_CACHED_TOKENS = 20_000;

/** Projects TF-IDF weights and an optional code into one L2-normalised vector. */
export class TemplateVectorizer {
  readonly options: VectorizerOptions;
  private readonly tokenBasis = new Map<string, Float64Array>();
  private codeBasis: Float64Array[] = [];

  constructor(options: Partial<VectorizerOptions> = {}) {
    this.options = { ...DEFAULT_VECTORIZER_OPTIONS, ...options };
  }

  /** The vector of a template from its TF-IDF weights and (optionally) its learned code. */
  vector(tfidf: ReadonlyMap<string, number>, code?: readonly number[]): number[] {
    const d = this.options.dimension;
    const out = new Float64Array(d);
    for (const [token, w] of tfidf) {
      const b = this.basisFor(token);
      for (let i = 0; i < d; i++) out[i]! += w * b[i]!;
    }
    normalizeInPlace(out);
    if (code !== undefined && code.length > 0) {
      const c = Float64Array.from(code);
      normalizeInPlace(c);
      const part = new Float64Array(d);
      for (let j = 0; j < c.length; j++) {
        const b = this.codeBasisRow(j);
        const cj = c[j]!;
        for (let i = 0; i < d; i++) part[i]! += cj * b[i]!;
      }
      normalizeInPlace(part);
      for (let i = 0; i < d; i++) out[i]! += this.options.codeWeight * part[i]!;
      normalizeInPlace(out);
    }
    return Array.from(out);
  }

  private basisFor(token: string): Float64Array {
    let b = this.tokenBasis.get(token);
    if (b === undefined) {
      b = gaussianRow(`${this.options.seed}|t|${token}`, this.options.dimension);
      if (this.tokenBasis.size >= MAX_CACHED_TOKENS) this.tokenBasis.delete(this.tokenBasis.keys().next().value as string);
      this.tokenBasis.set(token, b);
    }
    return b;
  }

  private codeBasisRow(j: number): Float64Array {
    while (this.codeBasis.length <= j) this.codeBasis.push(gaussianRow(`${this.options.seed}|c|${this.codeBasis.length}`, this.options.dimension));
    return this.codeBasis[j]!;
  }
}

/** Cosine distance (1 − cosine similarity) of two vectors. */
export function cosineDistance(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  if (na === 0 || nb === 0) return 1;
  return 1 - dot / Math.sqrt(na * nb);
}

function gaussianRow(seed: string, d: number): Float64Array {
  const rng = seedrandom(seed);
  const row = new Float64Array(d);
  for (let i = 0; i < d; i += 2) {
    // Box–Muller: two independent standard normals per pair of uniforms.
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    row[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < d) row[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return row;
}

function normalizeInPlace(v: Float64Array): void {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i]! /= n;
}
