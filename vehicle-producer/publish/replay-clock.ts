/**
 * The wall clock a paced replay follows. Pacing is a schedule (event time / speed from the
 * start); tests pass a fake clock whose sleep only moves its own time, so they check that
 * schedule exactly instead of measuring how fast the machine happened to be.
 */
export interface ReplayClock {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock: Date.now and setTimeout. */
export const WALL_CLOCK: ReplayClock = {
  nowMs: () => Date.now(),
  sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};
