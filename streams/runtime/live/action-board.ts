/**
 * The ranked-actions board the demo prints: latest state per action key (the actions topic is
 * compacted, so each record supersedes the previous one of its key), ordered as the engine ranks
 * them: Action Priority, then RPN, then affected vehicles.
 */
import Table from 'cli-table3';

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
  readonly status: string;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly evidence: unknown;
}

const AP_ORDER: Record<string, number> = { H: 0, M: 1, L: 2 };

/** Sort order of the board (same criteria as the engine's rank). */
export function compareActions(a: BoardAction, b: BoardAction): number {
  return (AP_ORDER[a.actionPriority] ?? 3) - (AP_ORDER[b.actionPriority] ?? 3) || b.rpn - a.rpn || b.affectedVehicles - a.affectedVehicles || a.key.localeCompare(b.key);
}

/** Short human summary of an action's strongest evidence. */
export function topEvidence(evidence: unknown, max = 60): string {
  const parts: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (parts.length >= 3 || depth > 3 || v === null || v === undefined) return;
    if (Array.isArray(v)) return v.slice(0, 2).forEach((x) => walk(x, depth + 1));
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const label = o.summary ?? o.description ?? (Array.isArray(o.keywords) ? (o.keywords as unknown[]).slice(0, 4).join(' ') : undefined) ?? o.seriesId ?? o.condition;
      if (typeof label === 'string' && label) return void parts.push(label);
      for (const x of Object.values(o)) walk(x, depth + 1);
    }
  };
  walk(evidence, 0);
  const s = parts.join('; ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export class ActionBoard {
  private readonly actions = new Map<string, BoardAction>();

  /** Applies one record of the actions topic (null value = tombstone: the action was removed). */
  apply(key: string, value: BoardAction | null): void {
    if (value === null) this.actions.delete(key);
    else this.actions.set(key, value);
  }

  /** Current actions, best first. */
  ranked(): BoardAction[] {
    return [...this.actions.values()].filter((a) => a.status !== 'CLOSED').sort(compareActions);
  }

  get size(): number {
    return this.actions.size;
  }

  /** The board as a terminal table (at most `limit` rows). */
  render(limit = 15): string {
    const table = new Table({ head: ['#', 'AP', 'RPN', 'S/O/D', 'entry', 'failure mode', 'scope', 'veh', 'top evidence'], style: { head: [], border: [] }, wordWrap: false });
    this.ranked().slice(0, limit).forEach((a, i) => {
      table.push([String(i + 1), a.actionPriority, String(a.rpn), `${a.severity}/${a.occurrence}/${a.detection}`, a.entryId, a.failureMode.slice(0, 36), `${a.scopeKind.toLowerCase()}:${a.scopeId}`.slice(0, 22), String(a.affectedVehicles), topEvidence(a.evidence, 48)]);
    });
    return table.toString();
  }
}
