/**
 * The ranked-actions board the demo prints: latest state per action key (the actions topic is
 * compacted, so each record supersedes the previous one of its key), ordered as the engine ranks
 * them: Action Priority, then RPN, then affected vehicles; bounded to the best BOARD_CAPACITY.
 */
import Table from 'cli-table3';
import { compareActions, type ActionStatus } from '../../processors/fmea/action.ts';

/** The fields of an FMEA action (schemas/fmea-action.avsc) the board shows. */
export interface BoardAction {
  readonly key: string;
  readonly entryId: string;
  readonly failureMode: string;
  readonly scopeKind: string;
  readonly scopeId: string;
  readonly severity: number;
  readonly occurrence: number;
  readonly detection: number;
  readonly rpn: number;
  readonly actionPriority: 'H' | 'M' | 'L';
  readonly rank: number;
  readonly affectedVehicles: number;
  readonly status: ActionStatus;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly evidence: unknown;
}

/** Short human summary of an action's strongest evidence (the fmea-action `evidence` record). */
export function topEvidence(evidence: unknown, max = 60): string {
  const e = (evidence ?? {}) as Record<string, unknown>;
  const list = (k: string): string[] => (Array.isArray(e[k]) ? (e[k] as unknown[]).map(String) : []);
  const parts: string[] = [];
  const kw = list('keywords').filter((k) => !k.startsWith('<')).slice(0, 4);
  if (kw.length) parts.push(`log: ${kw.join(' ')}`);
  const drift = list('driftEvents')[0];
  if (drift) parts.push(`drift: ${drift.split('@')[0]}`);
  for (const [k, label] of [['canaryVerdicts', 'canary'], ['canClusters', 'CAN cluster'], ['canFeatureWindows', 'CAN'], ['dtcCodes', 'DTC'], ['alerts', 'alert']] as const) {
    const first = list(k)[0];
    if (first) parts.push(`${label}: ${first}`);
  }
  const s = parts.slice(0, 2).join('; ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Open actions a board keeps (the best ones); see ActionBoard. */
export const BOARD_CAPACITY = 1000;

/**
 * The best `capacity` open actions, kept sorted as records arrive (binary search + one splice per update), so reading
 * the board never sorts. An action pushed below the capacity leaves the board; every update of an action is published
 * again on the compacted actions topic, so one that rises later comes back with that update.
 */
export class ActionBoard {
  private readonly actions = new Map<string, BoardAction>();
  private readonly sorted: BoardAction[] = [];

  constructor(private readonly capacity = BOARD_CAPACITY) {}

  /** Position of `a` in `sorted` (the first index not before it). */
  private lowerBound(a: BoardAction): number {
    let lo = 0, hi = this.sorted.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (compareActions(this.sorted[mid]!, a) < 0) lo = mid + 1; else hi = mid; }
    return lo;
  }

  /** Applies one record of the actions topic (null value = tombstone: the action was removed). */
  apply(key: string, value: BoardAction | null): void {
    const prev = this.actions.get(key);
    if (prev) {
      const i = this.lowerBound(prev);
      if (this.sorted[i] === prev) this.sorted.splice(i, 1);
      this.actions.delete(key);
    }
    // RESOLVED actions (no activation for the resolve period) leave the board.
    if (value === null || value.status === 'RESOLVED') return;
    const at = this.lowerBound(value);
    if (at >= this.capacity) return;
    this.sorted.splice(at, 0, value);
    this.actions.set(key, value);
    if (this.sorted.length > this.capacity) this.actions.delete(this.sorted.pop()!.key);
  }

  /** Current open actions, best first (at most the capacity). */
  ranked(): readonly BoardAction[] {
    return this.sorted;
  }

  get size(): number {
    return this.actions.size;
  }

  /** The board as a terminal table (at most `limit` rows). The scope is never cut: a vehicle row must name its vehicle. `veh` is the affected vehicles within the row's scope. */
  render(limit = 15): string {
    const table = new Table({ head: ['#', 'AP', 'RPN', 'S/O/D', 'entry', 'failure mode', 'scope', 'veh', 'top evidence'], style: { head: [], border: [] }, wordWrap: false });
    this.ranked().slice(0, limit).forEach((a, i) => {
      table.push([String(i + 1), a.actionPriority, String(a.rpn), `${a.severity}/${a.occurrence}/${a.detection}`, a.entryId, a.failureMode.slice(0, 36), `${a.scopeKind.toLowerCase()}:${a.scopeId}`, String(a.affectedVehicles), topEvidence(a.evidence, 48)]);
    });
    return table.toString();
  }
}
