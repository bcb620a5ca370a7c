/**
 * Seeded randomness for the simulator. Every stream (per vehicle and purpose) gets its
 * own generator derived from the scenario seed, so enabling a fault never shifts the
 * random numbers of unrelated streams: a clean drive and a faulty drive with the same
 * seed differ only where the fault acts.
 */
import seedrandom from 'seedrandom';

/** A seeded uniform generator with a few helpers. */
export class Rng {
  private readonly r: () => number;
  constructor(seed: string) {
    this.r = seedrandom(seed);
  }
  /** Uniform in [0,1). */
  next(): number {
    return this.r();
  }
  /** Uniform in [lo,hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.r();
  }
  /** Integer in [lo,hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.r());
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.r() < p;
  }
  /** Approximately standard normal (Irwin–Hall with 6 terms). */
  normal(): number {
    let s = 0;
    for (let i = 0; i < 6; i++) s += this.r();
    return (s - 3) * Math.SQRT2;
  }
  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.r() * xs.length)]!;
  }
  /** Lowercase hex string of n random bytes. */
  hex(bytes: number): string {
    let s = '';
    for (let i = 0; i < bytes; i++) s += Math.floor(this.r() * 256).toString(16).padStart(2, '0');
    return s;
  }
}

/** Derives the generator of one stream from the scenario seed. */
export function streamRng(seed: number | string, ...path: (string | number)[]): Rng {
  return new Rng([String(seed), ...path.map(String)].join('/'));
}
