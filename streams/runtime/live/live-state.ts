/**
 * What the live view shows, folded from the engine's output topics: ranked actions, log
 * clusters with their trend, per-series baseline bands with drift points and suppressed
 * periods, gray releases with canary verdicts. Everything is bounded so a long-running view
 * cannot grow without limit.
 */
import { Topics } from '../../topic-catalog.ts';
import { ActionBoard, type BoardAction } from './action-board.ts';

const MAX_POINTS = 240;
const MAX_SERIES = 200;
const MAX_CLUSTERS = 200;

interface SeriesView {
  name: string;
  labels: Record<string, string>;
  scope: string;
  /** Per judged window: the baseline (mean, σ), the window's value (null in records without it) and whether the series drifted. */
  band: { t: number; mean: number; std: number; value: number | null; drifting: boolean }[];
  drift: { t: number; value: number; z: number; detector: string; phase: string }[];
  /** Suppressed periods by alert id (an alert's updates replace its period); `to: null` = until the release ends. */
  suppressed: { alertId: string; from: number; to: number | null; policy: string; reason: string }[];
  lastT: number;
}

interface ClusterView {
  clusterId: string;
  /** 'fleet' for fmeaflow.log-clusters-fleet.v1, else the input partition whose vehicles the counts cover. */
  scope: string;
  keywords: string[];
  templates: { templateId: string; template: string; count: number }[];
  lastEvent: string;
  ratio: number | null;
  vehicles: number;
  trend: { t: number; count: number }[];
  lastT: number;
}

interface ReleaseView {
  releaseId: string;
  service: string;
  version: string;
  phase: string;
  trafficPercent: number;
  verdicts: Record<string, { verdict: string; pValue: number; effectSize: number; reason: string }>;
}

type Rec = Record<string, unknown>;

function pushBounded<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS);
}

function evictOldest<V extends { lastT: number }>(map: Map<string, V>, max: number): void {
  if (map.size <= max) return;
  const oldest = [...map.entries()].sort((a, b) => a[1].lastT - b[1].lastT).slice(0, map.size - max);
  for (const [k] of oldest) map.delete(k);
}

export class LiveState {
  readonly board = new ActionBoard();
  private readonly series = new Map<string, SeriesView>();
  private readonly clusters = new Map<string, ClusterView>();
  private readonly releases = new Map<string, ReleaseView>();
  /** Increments on every applied record, so clients can skip re-rendering. */
  version = 0;

  private seriesOf(v: Rec): SeriesView {
    const id = String(v.seriesId ?? `${v.name}${JSON.stringify(v.labels ?? {})}`);
    let s = this.series.get(id);
    if (!s) {
      // Evict before inserting, so the new series (no points yet) is not itself the oldest.
      evictOldest(this.series, MAX_SERIES - 1);
      s = { name: String(v.name ?? id), labels: (v.labels as Record<string, string>) ?? {}, scope: String(v.scope ?? ''), band: [], drift: [], suppressed: [], lastT: 0 };
      this.series.set(id, s);
    }
    return s;
  }

  /** Folds one output record into the view. */
  apply(topic: string, key: string, value: unknown): void {
    this.version++;
    const v = (value ?? {}) as Rec;
    switch (topic) {
      case Topics.actions:
        this.board.apply(key, value === null ? null : (value as BoardAction));
        break;
      case Topics.baselines: {
        const s = this.seriesOf(v);
        const t = Number(v.lastWindowEndMs);
        // A warming-up baseline has no band worth drawing yet; its value still shows the series.
        const warm = v.warmingUp === true;
        pushBounded(s.band, { t, mean: warm ? Number.NaN : Number(v.mean), std: warm ? Number.NaN : Number(v.stdDev), value: typeof v.value === 'number' && Number.isFinite(v.value) ? v.value : null, drifting: v.status === 'DRIFTING' });
        s.lastT = Math.max(s.lastT, t);
        break;
      }
      case Topics.drift: {
        const s = this.seriesOf(v);
        const t = Number(v.windowEndMs);
        pushBounded(s.drift, { t, value: Number(v.value), z: Number(v.zScore), detector: String(v.detector), phase: String(v.phase) });
        s.lastT = Math.max(s.lastT, t);
        break;
      }
      case Topics.alerts: {
        const sup = v.suppression as Rec | null | undefined;
        if (v.suppressed && sup) {
          const s = this.seriesOf({ seriesId: v.subject, name: v.name, labels: v.labels, scope: v.scope });
          const period = { alertId: String(v.alertId), from: Number(sup.startedAtMs ?? v.eventTimeMs), to: sup.untilMs === null || sup.untilMs === undefined ? null : Number(sup.untilMs), policy: String(sup.policy), reason: String(sup.reason) };
          const i = s.suppressed.findIndex((p) => p.alertId === period.alertId);
          if (i >= 0) s.suppressed[i] = period;
          else pushBounded(s.suppressed, period);
        }
        break;
      }
      case Topics.logClusters:
      case Topics.logClustersFleet: {
        const id = String(v.clusterId);
        const scope = topic === Topics.logClustersFleet ? 'fleet' : `partition ${String(v.partition)}`;
        const c = this.clusters.get(id) ?? { clusterId: id, scope, keywords: [], templates: [], lastEvent: '', ratio: null, vehicles: 0, trend: [], lastT: 0 };
        c.keywords = (v.keywords as string[]) ?? c.keywords;
        c.templates = ((v.templates as ClusterView['templates'] | undefined) ?? c.templates).slice(0, 3);
        c.lastEvent = String(v.eventType);
        c.ratio = typeof v.ratio === 'number' ? v.ratio : null;
        c.vehicles = Number(v.vehicleCount ?? 0);
        c.lastT = Number(v.windowEndMs);
        pushBounded(c.trend, { t: c.lastT, count: Number(v.count ?? 0) });
        this.clusters.set(id, c);
        evictOldest(this.clusters, MAX_CLUSTERS);
        break;
      }
      case Topics.releases: {
        const r = this.releases.get(key) ?? { releaseId: String(v.releaseId ?? key), service: '', version: '', phase: '', trafficPercent: 0, verdicts: {} };
        Object.assign(r, { service: String(v.service), version: String(v.version), phase: String(v.phase), trafficPercent: Number(v.trafficPercent) });
        this.releases.set(key, r);
        this.boundReleases();
        break;
      }
      case Topics.canaryVerdicts: {
        const id = String(v.releaseId);
        const r = this.releases.get(id) ?? { releaseId: id, service: String(v.service), version: String(v.canaryVersion), phase: 'START', trafficPercent: 0, verdicts: {} };
        r.verdicts[String(v.metric)] = { verdict: String(v.verdict), pValue: Number(v.pValue), effectSize: Number(v.effectSize), reason: String(v.reason) };
        this.releases.set(id, r);
        this.boundReleases();
        break;
      }
      default:
        this.version--;
    }
  }

  private boundReleases(): void {
    // Maps keep insertion order: the first keys are the oldest releases.
    while (this.releases.size > MAX_CLUSTERS) this.releases.delete(this.releases.keys().next().value!);
  }

  private cached: { version: number; json: string } | undefined;

  /** The snapshot as JSON, built once per version: a page polling `/api/state` costs nothing while nothing changed. */
  snapshotJson(): string {
    if (this.cached?.version !== this.version) this.cached = { version: this.version, json: JSON.stringify(this.snapshot()) };
    return this.cached.json;
  }

  /** A JSON snapshot for the web page. */
  snapshot(): unknown {
    return {
      version: this.version,
      actions: this.board.ranked().slice(0, 50),
      // Fleet-wide clusters first: they sum every partition, so they are what a fleet engineer reads.
      clusters: [...this.clusters.values()].sort((a, b) => Number(b.scope === 'fleet') - Number(a.scope === 'fleet') || b.lastT - a.lastT).slice(0, 50),
      // The series that matter: drifting now first, then those with any drift or suppression, newest first.
      series: [...this.series.entries()].filter(([, s]) => s.drift.length > 0 || s.suppressed.length > 0)
        .sort(([, a], [, b]) => Number(b.band.at(-1)?.drifting ?? false) - Number(a.band.at(-1)?.drifting ?? false) || b.lastT - a.lastT)
        .slice(0, 24).map(([id, s]) => ({ id, ...s, band: s.band.map((b) => ({ ...b, mean: Number.isFinite(b.mean) ? b.mean : null, std: Number.isFinite(b.std) ? b.std : null })) })),
      releases: [...this.releases.values()],
    };
  }
}

/** Topics the live view follows. */
export const LIVE_TOPICS = [Topics.actions, Topics.baselines, Topics.drift, Topics.alerts, Topics.logClusters, Topics.logClustersFleet, Topics.releases, Topics.canaryVerdicts] as const;
