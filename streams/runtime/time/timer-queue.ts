/**
 * Pending timers of one partition of one processor, keyed by timer id (re-registering
 * an id replaces it). Due timers come out ordered by (atMs, id) so the Kafka and the
 * replay runtime fire them in the same order.
 */
import type { TimerRequest } from '../../processors/processor.ts';

/** Timers of one partition. */
export class TimerQueue {
  private readonly byId = new Map<string, TimerRequest>();
  // Lower bound of atMs per kind, so the per-record "anything due?" check is O(1).
  private readonly earliest = { 'event-time': Number.POSITIVE_INFINITY, 'wall-clock': Number.POSITIVE_INFINITY };

  get size(): number {
    return this.byId.size;
  }

  /** Adds or replaces a timer. */
  set(t: TimerRequest): void {
    this.byId.set(t.id, t);
    if (t.atMs < this.earliest[t.kind]) this.earliest[t.kind] = t.atMs;
  }

  /** Cancels a timer; returns whether it existed. */
  cancel(id: string): boolean {
    return this.byId.delete(id);
  }

  /** Removes and returns the earliest due timer of `kind` (atMs <= limitMs), or undefined. */
  popDue(kind: TimerRequest['kind'], limitMs: number): TimerRequest | undefined {
    if (limitMs < this.earliest[kind]) return undefined;
    let best: TimerRequest | undefined;
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.byId.values()) {
      if (t.kind !== kind) continue;
      if (t.atMs > limitMs) {
        if (t.atMs < next) next = t.atMs;
        continue;
      }
      if (!best || t.atMs < best.atMs || (t.atMs === best.atMs && t.id < best.id)) {
        if (best && best.atMs < next) next = best.atMs;
        best = t;
      } else if (t.atMs < next) next = t.atMs;
    }
    if (best) this.byId.delete(best.id);
    this.earliest[kind] = next;
    return best;
  }

  /** Removes and returns every due timer of `kind` (atMs <= limitMs), ordered by (atMs, id): one scan however many are due. */
  takeDue(kind: TimerRequest['kind'], limitMs: number): TimerRequest[] {
    if (limitMs < this.earliest[kind]) return [];
    const due: TimerRequest[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.byId.values()) {
      if (t.kind !== kind) continue;
      if (t.atMs <= limitMs) due.push(t);
      else if (t.atMs < next) next = t.atMs;
    }
    for (const t of due) this.byId.delete(t.id);
    this.earliest[kind] = next;
    return due.sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** True when a timer with this id is pending. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** All pending timers (for snapshots). */
  all(): IterableIterator<TimerRequest> {
    return this.byId.values();
  }

  /** Drops every timer. */
  clear(): void {
    this.byId.clear();
    this.earliest['event-time'] = Number.POSITIVE_INFINITY;
    this.earliest['wall-clock'] = Number.POSITIVE_INFINITY;
  }
}
