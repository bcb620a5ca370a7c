/**
 * The ranked corrective action as published on `fmeaflow.actions.v1` (compacted, keyed by
 * entry + scope), and the ordering that ranks them: AP first (the handbook's priority),
 * then RPN, then how many vehicles are affected.
 */
import { apWeight, type ActionPriority } from './action-priority.ts';
import type { FmeaEntry, ScopeKind } from './rule-model.ts';

export type ActionStatus = 'NEW' | 'ONGOING' | 'RESOLVED' | 'REOPENED';

export interface ActionEvidence {
  readonly logClusterIds: string[];
  readonly keywords: string[];
  readonly driftEvents: string[];
  readonly alerts: string[];
  readonly canClusters: string[];
  readonly canaryVerdicts: string[];
  readonly canFeatureWindows: string[];
  readonly dtcCodes: string[];
  readonly vehicles: string[];
  readonly traceIds: string[];
}

/** The worksheet entry's text and ratings are copied into every action, so consumers need no worksheet. */
export interface FmeaAction extends Pick<FmeaEntry, 'item' | 'function' | 'failureMode' | 'effect' | 'cause' | 'severity' | 'detection'> {
  readonly key: string;
  readonly entryId: string;
  readonly worksheet: string;
  readonly scopeKind: ScopeKind;
  readonly scopeId: string;
  readonly occurrenceWorksheet: number;
  readonly occurrenceObserved: number | null;
  /** The O used for RPN and AP: observed when the entry derives O from the field and it is known, else the worksheet's. */
  readonly occurrence: number;
  readonly rpn: number;
  readonly actionPriority: ActionPriority;
  readonly rank: number;
  readonly affectedVehicles: number;
  readonly fleetSize: number;
  readonly recommendedActions: { id: string; description: string; ownerRole: string; kind: string }[];
  readonly evidence: ActionEvidence;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly updateCount: number;
  readonly status: ActionStatus;
}

/** Negative when `a` ranks before `b` (the key only makes the order total; published ranks let ties share a rank). */
export function compareActions(a: Pick<FmeaAction, 'actionPriority' | 'rpn' | 'affectedVehicles' | 'key'>, b: Pick<FmeaAction, 'actionPriority' | 'rpn' | 'affectedVehicles' | 'key'>): number {
  return apWeight(b.actionPriority) - apWeight(a.actionPriority) || b.rpn - a.rpn || b.affectedVehicles - a.affectedVehicles || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Actions sorted and numbered 1..n (RESOLVED ones last, unranked = 0). */
export function rankActions<T extends FmeaAction>(actions: readonly T[]): T[] {
  const open = actions.filter((a) => a.status !== 'RESOLVED').sort(compareActions).map((a, i) => ({ ...a, rank: i + 1 }));
  const closed = actions.filter((a) => a.status === 'RESOLVED').map((a) => ({ ...a, rank: 0 }));
  return [...open, ...closed];
}

/** Empty evidence summary. */
export function emptyEvidence(): ActionEvidence {
  return { logClusterIds: [], keywords: [], driftEvents: [], alerts: [], canClusters: [], canaryVerdicts: [], canFeatureWindows: [], dtcCodes: [], vehicles: [], traceIds: [] };
}
