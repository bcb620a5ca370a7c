/**
 * Pending timers of one partition of one processor, keyed by timer id (re-registering
 * an id replaces it). Due timers come out ordered by (atMs, id) so the Kafka and the
 * replay runtime fire them in the same order.
 *
 * A processor may keep a timer per series or vehicle (idle expiry), so a partition can hold
 * millions: taking the due ones walks a binary heap per kind, O(due · log n), never the whole
 * set. Replaced and cancelled timers leave stale heap entries that are skipped when they surface
 * and dropped by a rebuild once they outnumber the live ones.
 */
import type { TimerRequest } from '../../processors/processor.ts';

type Kind = TimerRequest['kind'];

interface HeapEntry {
  readonly atMs: number;
  readonly id: string;
}

const before = (a: HeapEntry, b: HeapEntry): boolean => a.atMs < b.atMs || (a.atMs === b.atMs && a.id < b.id);

/** A binary min-heap of (atMs, id). */
class TimeHeap {
  items: HeapEntry[] = [];
  get length(): number {
    return this.items.length;
  }
  peek(): HeapEntry | undefined {
    return this.items[0];
  }
  push(e: HeapEntry): void {
    const xs = this.items;
    xs.push(e);
    let i = xs.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(xs[i]!, xs[parent]!)) break;
      [xs[i], xs[parent]] = [xs[parent]!, xs[i]!];
      i = parent;
    }
  }
  pop(): HeapEntry | undefined {
    const xs = this.items;
    const top = xs[0];
    const last = xs.pop();
    if (xs.length > 0 && last) {
      xs[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < xs.length && before(xs[l]!, xs[m]!)) m = l;
        if (r < xs.length && before(xs[r]!, xs[m]!)) m = r;
        if (m === i) break;
        [xs[i], xs[m]] = [xs[m]!, xs[i]!];
        i = m;
      }
    }
    return top;
  }
  rebuild(entries: HeapEntry[]): void {
    this.items = entries.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }
}

/** Timers of one partition. */
export class TimerQueue {
  private readonly byId = new Map<string, TimerRequest>();
  private readonly heaps: Record<Kind, TimeHeap> = { 'event-time': new TimeHeap(), 'wall-clock': new TimeHeap() };

  get size(): number {
    return this.byId.size;
  }

  /** Adds or replaces a timer. */
  set(t: TimerRequest): void {
    const prev = this.byId.get(t.id);
    this.byId.set(t.id, t);
    // The same id re-armed for the same time (a window's close timer, once per record) needs no new heap entry.
    if (prev && prev.kind === t.kind && prev.atMs === t.atMs) return;
    const heap = this.heaps[t.kind];
    heap.push({ atMs: t.atMs, id: t.id });
    if (heap.length > 2 * this.byId.size + 1024) this.compact(t.kind);
  }

  /** Cancels a timer; returns whether it existed. */
  cancel(id: string): boolean {
    return this.byId.delete(id);
  }

  private live(kind: Kind, e: HeapEntry): TimerRequest | undefined {
    const t = this.byId.get(e.id);
    return t && t.kind === kind && t.atMs === e.atMs ? t : undefined;
  }

  private compact(kind: Kind): void {
    const entries: HeapEntry[] = [];
    for (const t of this.byId.values()) if (t.kind === kind) entries.push({ atMs: t.atMs, id: t.id });
    this.heaps[kind].rebuild(entries);
  }

  /** Removes and returns the earliest due timer of `kind` (atMs <= limitMs), or undefined. */
  popDue(kind: Kind, limitMs: number): TimerRequest | undefined {
    const heap = this.heaps[kind];
    for (let top = heap.peek(); top && top.atMs <= limitMs; top = heap.peek()) {
      heap.pop();
      const t = this.live(kind, top);
      if (!t) continue;
      this.byId.delete(t.id);
      return t;
    }
    return undefined;
  }

  /** Removes and returns every due timer of `kind` (atMs <= limitMs), ordered by (atMs, id). */
  takeDue(kind: Kind, limitMs: number): TimerRequest[] {
    const due: TimerRequest[] = [];
    for (let t = this.popDue(kind, limitMs); t; t = this.popDue(kind, limitMs)) due.push(t);
    return due;
  }

  /** Earliest pending `kind` timer's atMs (+∞ when none); scans every timer. */
  nextAtMs(kind: TimerRequest['kind']): number {
    let next = Number.POSITIVE_INFINITY;
    for (const t of this.byId.values()) if (t.kind === kind && t.atMs < next) next = t.atMs;
    return next;
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
    this.heaps['event-time'] = new TimeHeap();
    this.heaps['wall-clock'] = new TimeHeap();
  }
}
