/**
 * Time windows of FMEA conditions over remembered leaf matches. Each (scope, leaf) keeps a
 * short, time-sorted history of matches; a condition holds when one match per needed leaf
 * can be chosen so that every group's chosen evidence spans at most its `within` (earliest
 * to latest event time). A nested group's `within` narrows its enclosing group's, never
 * widens it. Judging the chosen set, not the distance to the evidence that arrived last,
 * is what makes the outcome independent of arrival order: evidence of different topics
 * comes with different latency.
 */
import type { ActionEvidence } from './action.ts';
import type { Condition, GroupCondition, LeafCondition } from './rule-model.ts';

/** One remembered match: event time and the evidence summary it contributes to an action. */
export interface LeafMatch { readonly t: number; readonly s: Partial<ActionEvidence> }

/** Default cap on remembered matches per (scope, leaf). */
export const DEFAULT_MATCHES_PER_LEAF = 16;

function lowerBound(ts: readonly number[], x: number): number {
  let lo = 0, hi = ts.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (ts[mid]! < x) lo = mid + 1; else hi = mid; }
  return lo;
}

/**
 * Adds `m` to a time-sorted history and bounds it: matches older than `horizonMs` go (no
 * evidence that can still arrive combines with them), and above `maxCount` the interior
 * match with the closest neighbours goes, so the kept matches stay spread over the window
 * rather than only the newest surviving a burst. `m` itself is kept for this evaluation.
 */
export function addMatch(history: readonly LeafMatch[], m: LeafMatch, horizonMs: number, maxCount: number): LeafMatch[] {
  const out: LeafMatch[] = [];
  let placed = false;
  for (const h of history) {
    if (!placed && h.t > m.t) { out.push(m); placed = true; }
    // The same evidence seen again (a re-sent snapshot) is one match, not two.
    if (h.t === m.t && JSON.stringify(h.s) === JSON.stringify(m.s)) continue;
    if (h.t >= horizonMs) out.push(h);
  }
  if (!placed) out.push(m);
  const cap = Math.max(3, maxCount);
  while (out.length > cap) {
    let victim = -1, gap = Infinity;
    for (let i = 1; i < out.length - 1; i++) {
      if (out[i] === m) continue;
      const g = out[i + 1]!.t - out[i - 1]!.t;
      if (g < gap) { gap = g; victim = i; }
    }
    out.splice(victim, 1);
  }
  return out;
}

/** Matches of one leaf with their times, plus the match the current evidence added (if it matched this leaf). */
export interface LeafTrack { readonly ms: readonly LeafMatch[]; readonly ts: readonly number[]; readonly fresh?: number }

/** Makes a track from a stored history. */
export function trackOf(ms: readonly LeafMatch[], freshT?: number): LeafTrack {
  return { ms, ts: ms.map((m) => m.t), ...(freshT !== undefined ? { fresh: freshT } : {}) };
}

/**
 * How a condition holds over the remembered matches, by event time: `since` is the earliest time at which
 * some valid choice was complete (for an `all`, its latest part), `latest` the newest time any valid choice
 * reaches, `withFresh` whether some valid choice uses the current evidence.
 */
export interface Support { readonly since: number; readonly latest: number; readonly withFresh: boolean }

type TrackOf = (leaf: LeafCondition) => LeafTrack;

function leafSupport(tr: LeafTrack, lo: number, hi: number): Support | undefined {
  const i = lowerBound(tr.ts, lo);
  if (i >= tr.ts.length || tr.ts[i]! > hi) return undefined;
  const j = lowerBound(tr.ts, hi + 1) - 1;
  return { since: tr.ts[i]!, latest: tr.ts[j]!, withFresh: tr.fresh !== undefined && tr.fresh >= lo && tr.fresh <= hi };
}

/** Earliest and latest match time of any leaf under `c` inside [lo, hi]. */
function bounds(c: Condition, track: TrackOf, lo: number, hi: number): [number, number] | undefined {
  if (c.type !== 'group') {
    const s = leafSupport(track(c), lo, hi);
    return s && [s.since, s.latest];
  }
  let min = Infinity, max = -Infinity;
  for (const ch of c.children) {
    const b = bounds(ch, track, lo, hi);
    if (b) { min = Math.min(min, b[0]); max = Math.max(max, b[1]); }
  }
  return min <= max ? [min, max] : undefined;
}

function leafTimes(c: Condition, track: TrackOf, lo: number, hi: number, out: number[]): number[] {
  if (c.type !== 'group') {
    const ts = track(c).ts;
    for (let i = lowerBound(ts, lo); i < ts.length && ts[i]! <= hi; i++) out.push(ts[i]!);
  } else for (const ch of c.children) leafTimes(ch, track, lo, hi, out);
  return out;
}

/** The group's parts judged inside one interval that is already no longer than its window. */
function combine(g: GroupCondition, track: TrackOf, lo: number, hi: number, w: number): Support | undefined {
  let since = g.op === 'all' ? -Infinity : Infinity, latest = -Infinity, withFresh = false, any = false;
  for (const ch of g.children) {
    const r = support(ch, track, lo, hi, w);
    if (!r) { if (g.op === 'all') return undefined; continue; }
    any = true;
    since = g.op === 'all' ? Math.max(since, r.since) : Math.min(since, r.since);
    latest = Math.max(latest, r.latest);
    withFresh ||= r.withFresh;
  }
  return any ? { since, latest, withFresh } : undefined;
}

/**
 * Intervals [a, a + w] worth trying for a group whose evidence in [lo, hi] spans more than its window: a
 * valid choice's earliest part is some match, so its start is one of the match times.
 */
function starts(g: GroupCondition, track: TrackOf, lo: number, hi: number): number[] {
  const ts = leafTimes(g, track, lo, hi, []).sort((a, b) => a - b);
  return ts.filter((t, i) => i === 0 || t !== ts[i - 1]);
}

/** Support of `c` using only matches inside [lo, hi], under the enclosing window `w`. */
export function support(c: Condition, track: TrackOf, lo: number, hi: number, w: number): Support | undefined {
  if (c.type !== 'group') return leafSupport(track(c), lo, hi);
  const win = Math.min(w, c.withinMs ?? w);
  const b = bounds(c, track, lo, hi);
  if (!b) return undefined;
  if (b[1] - b[0] <= win) return combine(c, track, b[0], b[1], win);
  let since = Infinity, latest = -Infinity, withFresh = false, found = false;
  for (const a of starts(c, track, b[0], b[1])) {
    const r = combine(c, track, a, Math.min(b[1], a + win), win);
    if (!r) continue;
    found = true;
    since = Math.min(since, r.since);
    latest = Math.max(latest, r.latest);
    withFresh ||= r.withFresh;
  }
  return found ? { since, latest, withFresh } : undefined;
}

/**
 * Summaries of one valid choice for the action's evidence lists: the one with the current evidence and,
 * among those, the newest; every satisfied alternative of an `any` is named.
 */
export function collectEvidence(c: Condition, track: TrackOf, lo: number, hi: number, w: number, out: Partial<ActionEvidence>[]): void {
  if (c.type !== 'group') {
    const tr = track(c);
    const s = leafSupport(tr, lo, hi);
    if (!s) return;
    const at = s.withFresh ? tr.fresh! : s.latest;
    // The fresh match is the last one stored at its time (addMatch places it after equal times).
    out.push(tr.ms[lowerBound(tr.ts, at + 1) - 1]!.s);
    return;
  }
  const win = Math.min(w, c.withinMs ?? w);
  const b = bounds(c, track, lo, hi);
  if (!b) return;
  let best: [number, number] = b;
  if (b[1] - b[0] <= win) {
    if (!combine(c, track, b[0], b[1], win)) return;
  } else {
    let score: [boolean, number] | undefined;
    for (const a of starts(c, track, b[0], b[1])) {
      const hiA = Math.min(b[1], a + win);
      const r = combine(c, track, a, hiA, win);
      if (r && (!score || (r.withFresh && !score[0]) || (r.withFresh === score[0] && r.latest > score[1]))) { score = [r.withFresh, r.latest]; best = [a, hiA]; }
    }
    if (!score) return;
  }
  for (const ch of c.children) collectEvidence(ch, track, best[0], best[1], win, out);
}
