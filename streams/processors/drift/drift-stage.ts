/**
 * The baseline/drift stage over a store: judge a series point, write the series state,
 * publish the baseline (compacted, keyed by series id) and any drift events, and keep
 * an idle-expiry timer per series. Shared by the stand-alone and the fused processor.
 */
import { Topics } from '../../topic-catalog.ts';
import type { FiredTimer, OutputRecord, ReadonlyStore, StoreUpdate, TimerRequest } from '../processor.ts';
import type { SeriesPoint } from '../series/series-types.ts';
import type { DriftConfig } from './drift-config.ts';
import { judgeWindow, type SeriesState } from './series-judge.ts';

const SERIES_PREFIX = 's|';
const EXPIRE_PREFIX = 'expire|';

/** Store key of a series state. */
export function seriesStoreKey(seriesId: string): string {
  return `${SERIES_PREFIX}${seriesId}`;
}

/** Result of judging a batch of points. */
export interface DriftStageResult {
  readonly updates: StoreUpdate<SeriesState>[];
  readonly outputs: OutputRecord[];
  readonly timers: TimerRequest[];
  /** Points older than the series' last window (ignored, to be counted by the caller). */
  readonly stale: number;
}

/** Judges points in order; later points of the same series see the earlier ones' state. */
export function judgePoints<S>(store: ReadonlyStore<S>, points: readonly SeriesPoint[], cfg: DriftConfig): DriftStageResult {
  const local = new Map<string, SeriesState>();
  const out: DriftStageResult = { updates: [], outputs: [], timers: [], stale: 0 };
  let stale = 0;
  for (const p of points) {
    const key = seriesStoreKey(p.seriesId);
    const prev = local.get(key) ?? (store.get(key) as SeriesState | undefined);
    const r = judgeWindow(prev, p, cfg);
    if (r.stale) { stale++; continue; }
    local.set(key, r.state);
    out.outputs.push({ topic: Topics.baselines, key: p.seriesId, value: r.baseline });
    for (const e of r.events) out.outputs.push({ topic: Topics.drift, key: p.seriesId, value: e });
    out.timers.push({ kind: 'event-time', id: `${EXPIRE_PREFIX}${p.seriesId}`, atMs: p.windowEndMs + cfg.baseline.idleExpiryMs, payload: { seriesId: p.seriesId } });
  }
  for (const [key, value] of local) out.updates.push({ key, value });
  return { ...out, stale };
}

/** Handles an idle-expiry timer: forgets the series and tombstones its baseline. */
export function expireSeries<S>(store: ReadonlyStore<S>, timer: FiredTimer, cfg: DriftConfig): { updates: StoreUpdate<never>[]; outputs: OutputRecord[] } | null {
  if (!timer.id.startsWith(EXPIRE_PREFIX)) return null;
  const seriesId = timer.id.slice(EXPIRE_PREFIX.length);
  const key = seriesStoreKey(seriesId);
  const st = store.get(key) as SeriesState | undefined;
  if (!st || st.lastWindowEndMs + cfg.baseline.idleExpiryMs > timer.atMs) return { updates: [], outputs: [] };
  return { updates: [{ key, value: null }], outputs: [{ topic: Topics.baselines, key: seriesId, value: null }] };
}
