/**
 * Which input partitions the group gives this runner, and which partition states a new assignment
 * makes stale. Kept apart from the consumer so the rule (revoked or expired-member state is dropped)
 * is checked without a broker.
 */

/** One partition state the new assignment invalidates, and why (for the log). */
export interface StaleState {
  readonly partition: number;
  readonly why: 'revoked' | 'rejoined as a new member';
}

export class PartitionAssignment {
  private assigned = new Set<number>();
  private memberId: string | undefined;
  /** True when the last join came with a new member id: the group expired us and gave our partitions away meanwhile. */
  rejoinedAsNewMember = false;

  constructor(private readonly inputTopics: readonly string[]) {}

  /** Assigned input partitions, ascending. */
  get partitions(): number[] {
    return [...this.assigned].sort((a, b) => a - b);
  }

  has(partition: number): boolean {
    return this.assigned.has(partition);
  }

  /**
   * Takes a group join's assignment. Returns the states in `held` to drop: those revoked, and all of them
   * when the member id changed, because the group expired us and another member may have processed our
   * partitions meanwhile, so every in-memory state is stale and is restored from its changelog.
   */
  join(memberAssignment: Readonly<Record<string, readonly number[]>>, memberId: string | undefined, held: Iterable<number>): StaleState[] {
    const next = new Set<number>();
    for (const t of this.inputTopics) for (const p of memberAssignment[t] ?? []) next.add(p);
    const expired = this.memberId !== undefined && memberId !== this.memberId;
    this.memberId = memberId;
    this.rejoinedAsNewMember = expired;
    this.assigned = next;
    const stale: StaleState[] = [];
    for (const p of held) {
      if (expired) stale.push({ partition: p, why: 'rejoined as a new member' });
      else if (!next.has(p)) stale.push({ partition: p, why: 'revoked' });
    }
    return stale;
  }
}
