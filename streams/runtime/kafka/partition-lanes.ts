/**
 * One lane per input partition: work on the same partition (its batches, its timer commits) runs one at a
 * time and in order, work on different partitions overlaps. Each partition has its own transactional
 * producer, so their transactions may be open together; serialising them all made every partition wait
 * for the round trips of the others' commits (most of the end-to-end latency at 4 partitions).
 */
export class PartitionLanes<K = number> {
  private readonly tails = new Map<K, Promise<unknown>>();

  /** Runs `fn` after everything queued on `lane` before it has settled. */
  run<T>(lane: K, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(lane) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.tails.set(lane, tail);
    // A lane whose work is done holds nothing (partitions come and go with rebalances).
    void tail.then(() => this.tails.get(lane) === tail && this.tails.delete(lane));
    return run;
  }

  /** Settles when everything queued so far, on every lane, has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
