/**
 * The live board holds the best BOARD_CAPACITY open actions, sorted as records arrive, and the live page's
 * `/api/state` is served from a snapshot built once per version: 100,000 actions neither grow the board
 * nor make each poll sort them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOARD_CAPACITY, ActionBoard, type BoardAction } from '../../../streams/runtime/live/action-board.ts';
import { LiveState } from '../../../streams/runtime/live/live-state.ts';
import { startLiveServer } from '../../../streams/runtime/live/live-server.ts';
import { Topics } from '../../../streams/topic-catalog.ts';

const AP_ORDER = { H: 3, M: 2, L: 1 } as const;

function action(i: number, rpn: number, ap: 'H' | 'M' | 'L', affected: number, status: BoardAction['status'] = 'NEW'): BoardAction {
  return {
    key: `E-${i}|vehicle:V${i}`, entryId: `E-${i}`, failureMode: 'fm', scopeKind: 'vehicle', scopeId: `V${i}`, severity: 5, occurrence: 5, detection: 5,
    rpn, actionPriority: ap, rank: 1, affectedVehicles: affected, status, firstSeenMs: 0, lastSeenMs: 0, evidence: {},
  };
}

/** The engine's order written out independently: AP, then RPN, then affected vehicles, then key. */
function reference(actions: Iterable<BoardAction>): string[] {
  return [...actions].filter((a) => a.status !== 'RESOLVED')
    .sort((a, b) => AP_ORDER[b.actionPriority] - AP_ORDER[a.actionPriority] || b.rpn - a.rpn || b.affectedVehicles - a.affectedVehicles || (a.key < b.key ? -1 : 1))
    .map((a) => a.key);
}

let seed = 7;
const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
const randomAction = (i: number) => action(i, 1 + rnd(1000), (['H', 'M', 'L'] as const)[rnd(3)]!, rnd(50), rnd(20) === 0 ? 'RESOLVED' : 'ONGOING');

test('100,000 actions: the board keeps exactly the best BOARD_CAPACITY, in the engine\'s order', () => {
  const board = new ActionBoard();
  const all: BoardAction[] = [];
  for (let i = 0; i < 100_000; i++) { const a = randomAction(i); board.apply(a.key, a); all.push(a); }
  assert.equal(board.size, BOARD_CAPACITY);
  assert.deepEqual(board.ranked().map((a) => a.key), reference(all).slice(0, BOARD_CAPACITY));
});

test('under updates and tombstones the board matches a naive model of the same rule (re-sort everything kept on each record)', () => {
  const capacity = 50;
  const board = new ActionBoard(capacity);
  let kept = new Map<string, BoardAction>();
  const model = (key: string, a: BoardAction | null) => {
    kept.delete(key);
    if (a && a.status !== 'RESOLVED') kept.set(key, a);
    const best = new Set(reference(kept.values()).slice(0, capacity));
    kept = new Map([...kept].filter(([k]) => best.has(k)));
  };
  for (let i = 0; i < 4000; i++) {
    const a = randomAction(i);
    board.apply(a.key, a); model(a.key, a);
    const j = rnd(i + 1);
    const key = `E-${j}|vehicle:V${j}`;
    const b = rnd(5) === 0 ? null : randomAction(j);
    board.apply(key, b); model(key, b);
  }
  assert.equal(board.size, capacity);
  assert.deepEqual(board.ranked().map((a) => a.key), reference(kept.values()));
});

test('a top action that falls is re-ranked, one that resolves leaves the board', () => {
  const board = new ActionBoard(3);
  for (const [i, rpn] of [[1, 500], [2, 400], [3, 300], [4, 200]] as const) board.apply(`k${i}`, { ...action(i, rpn, 'H', 1), key: `k${i}` });
  assert.deepEqual(board.ranked().map((a) => a.key), ['k1', 'k2', 'k3']);
  board.apply('k1', { ...action(1, 350, 'H', 1), key: 'k1' });
  assert.deepEqual(board.ranked().map((a) => a.key), ['k2', 'k1', 'k3']);
  board.apply('k2', { ...action(2, 400, 'H', 1, 'RESOLVED'), key: 'k2' });
  assert.deepEqual(board.ranked().map((a) => a.key), ['k1', 'k3']);
  board.apply('k4', { ...action(4, 200, 'H', 1), key: 'k4' });
  assert.deepEqual(board.ranked().map((a) => a.key), ['k1', 'k3', 'k4']);
});

test('/api/state serves one snapshot per version: polls between changes sort nothing and return the same bytes', async (t) => {
  const state = new LiveState();
  for (let i = 0; i < 20_000; i++) { const a = randomAction(i); state.apply(Topics.actions, a.key, a); }
  const server = await startLiveServer(state, 0);
  t.after(() => server.close());
  const get = async () => (await fetch(`${server.url}api/state`)).text();
  const first = await get();
  const sorts = { n: 0 };
  const sort = Array.prototype.sort;
  Array.prototype.sort = function (this: unknown[], ...a: Parameters<typeof sort>) { sorts.n++; return sort.apply(this, a); } as typeof sort;
  let again: string;
  try { again = await get(); } finally { Array.prototype.sort = sort; }
  assert.equal(sorts.n, 0, 'a poll with no new record sorts nothing');
  assert.equal(again, first);
  const snap = JSON.parse(first) as { actions: { key: string }[] };
  assert.equal(snap.actions.length, 50);
  const top = action(999_999, 1000, 'H', 99);
  state.apply(Topics.actions, top.key, top);
  const after = JSON.parse(await get()) as { actions: { key: string }[]; version: number };
  assert.equal(after.actions[0]!.key, top.key, 'a new record is served at the next poll');
});
