/**
 * Canary verdicts during gray releases. Spans of a service in release are sorted into
 * canary and baseline cohorts; every `evaluateEveryMs` of event time (and once more
 * when the release is promoted, rolled back or ended) latency and error rate are judged
 * with the Mann-Whitney U test and a verdict per release and metric is published. A
 * FAIL also raises an unsuppressible CANARY alert (never passed through suppression).
 * Each cohort keeps its latencies as DDSketch buckets (1 % relative accuracy) and an
 * error count since the release started, so state and changelog writes stay small
 * whatever the span rate; the U test runs on the buckets as tied values.
 * Spans of one service must reach one partition (repartition by service) for the
 * verdict to cover the whole fleet.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { Topics } from '../../topic-catalog.ts';
import type { OutputRecord, Processor, ProcessorContext, ReadonlyStore } from '../processor.ts';
import { DEFAULT_TIME_SANITY, spanDurationMs, spanEventTimeMs, validateSpan, type SpanRecord, type TimeSanity } from '../series/input-records.ts';
import { windowEndOf } from '../series/tumbling-window.ts';
import { readReleases, inProgress, releaseAsOf, releaseTableValidator, type ReleaseEvent } from '../suppression/release-table.ts';
import { alertId } from '../alerts/alert-id.ts';
import { alertEvent } from '../alerts/alert-outcome.ts';
import type { AlertRecord } from '../alerts/alert-types.ts';
import { cohortsOf, type Cohort } from './canary-cohorts.ts';
import { DEFAULT_CANARY_JUDGE, judgeMetricCounts, type CanaryJudgeConfig, type MetricJudgement } from './canary-judge.ts';
import { emptySketch, sketchAdd, sketchValueCounts, type SketchBins } from '../series/latency-sketch.ts';
import type { CanaryMetric, CanaryVerdictRecord } from './canary-types.ts';

/** Options of the canary processor. */
export interface CanaryProcessorOptions {
  readonly judge?: Partial<CanaryJudgeConfig>;
  readonly evaluateEveryMs?: number;
  readonly knownServices?: ReadonlySet<string>;
  readonly timeSanity?: TimeSanity;
  readonly allowedLatenessMs?: number;
}

/** What one cohort has seen since the release started. */
export interface CohortSamples {
  readonly latencyMs: SketchBins;
  readonly errors: number;
  readonly n: number;
}

/** Stored per release. */
export interface CanaryState {
  readonly releaseId: string;
  readonly canary: CohortSamples;
  readonly baseline: CohortSamples;
  /** Metrics with a FIRING canary alert. */
  readonly firing: readonly CanaryMetric[];
}

const METRICS: readonly CanaryMetric[] = ['latency', 'error_rate'];

function push(s: CohortSamples, lat: number, err: number): CohortSamples {
  return { latencyMs: sketchAdd(s.latencyMs, lat), errors: s.errors + err, n: s.n + 1 };
}

const EMPTY: CohortSamples = { latencyMs: emptySketch(), errors: 0, n: 0 };

function samplesOf(c: CohortSamples, metric: CanaryMetric): [number, number][] {
  if (metric === 'latency') return sketchValueCounts(c.latencyMs);
  return [[0, c.n - c.errors], [1, c.errors]].filter(([, k]) => k! > 0) as [number, number][];
}

function canaryAlert(rel: ReleaseEvent, j: MetricJudgement, state: 'FIRING' | 'RESOLVED', tMs: number, since: number): AlertRecord {
  return {
    alertId: alertId('canary-regression', rel.releaseId, j.metric), rule: 'canary-regression', source: 'CANARY', state, severity: 'critical',
    subject: `canary:${rel.releaseId}:${j.metric}`, name: `canary.${j.metric}`, labels: { service: rel.service, release: rel.releaseId, metric: j.metric, version: rel.version },
    scope: 'fleet', detector: 'MANN_WHITNEY_U', value: j.canaryValue, baselineValue: j.baselineValue, zScore: null,
    activeSinceMs: since, firingSinceMs: since, resolvedAtMs: state === 'RESOLVED' ? tMs : null, eventTimeMs: tMs,
    suppressed: false, suppression: null, unsuppressible: true, releaseId: rel.releaseId,
    summary: `canary ${rel.version} of ${rel.service} (${rel.releaseId}) ${state === 'FIRING' ? 'fails' : 'no longer fails'} on ${j.metric}: ${j.reason}`,
  };
}

/** Creates `canary`: spans in (+ releases global table); verdicts and canary alerts out. */
export function createCanaryProcessor(opts: CanaryProcessorOptions = {}): Processor<CanaryState, SpanRecord> {
  const judge: CanaryJudgeConfig = { ...DEFAULT_CANARY_JUDGE, ...opts.judge };
  const every = opts.evaluateEveryMs ?? 60_000;
  const sanity = opts.timeSanity ?? DEFAULT_TIME_SANITY;
  const bad = (field: string, why: string): never => {
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `canary config ${field} ${why}`, { details: { field } });
  };
  if (!(judge.confidence > 0 && judge.confidence < 1)) bad('judge.confidence', `must be in (0, 1), got ${judge.confidence}`);
  if (!(Number.isInteger(judge.minSamples) && judge.minSamples >= 2)) bad('judge.minSamples', `must be an integer >= 2, got ${judge.minSamples}`);
  if (!(judge.latencyFailRatio >= judge.latencyMarginalRatio && judge.latencyMarginalRatio >= 1)) bad('judge.latency*Ratio', 'needs latencyFailRatio >= latencyMarginalRatio >= 1');
  if (!(judge.errorFailIncrease >= judge.errorMarginalIncrease && judge.errorMarginalIncrease >= 0)) bad('judge.error*Increase', 'needs errorFailIncrease >= errorMarginalIncrease >= 0');
  if (!(every > 0)) bad('evaluateEveryMs', `must be > 0, got ${every}`);

  const evaluate = (store: ReadonlyStore<CanaryState>, releaseId: string, tMs: number, ctx: ProcessorContext) => {
    const st = store.get(releaseId);
    if (!st) return {};
    const latest = ctx.globals.table<ReleaseEvent>(Topics.releases).get(releaseId);
    if (!latest) return { updates: [{ key: releaseId, value: null }] };
    // Judged as the release stood at the evaluation's event time, not as the (possibly newer) table says.
    const rel = releaseAsOf(latest, tMs) ?? latest;
    const final = !inProgress(rel);
    const outputs: OutputRecord[] = [];
    const firing = new Set(st.firing);
    for (const metric of METRICS) {
      const j = judgeMetricCounts(metric, samplesOf(st.canary, metric), samplesOf(st.baseline, metric), judge);
      if (!j) continue;
      const v: CanaryVerdictRecord = {
        releaseId, service: rel.service, canaryVersion: rel.version, baselineVersion: rel.baselineVersion, metric, verdict: j.verdict, test: 'MANN_WHITNEY_U',
        canarySamples: st.canary.n, baselineSamples: st.baseline.n, canaryValue: j.canaryValue, baselineValue: j.baselineValue,
        effectSize: j.effectSize, uStatistic: j.u, pValue: j.pValue, confidence: judge.confidence, reason: j.reason, final, evaluatedAtMs: tMs,
      };
      outputs.push({ topic: Topics.canaryVerdicts, key: `${releaseId}|${metric}`, value: v });
      const failing = j.verdict === 'FAIL' && !final;
      if (failing && !firing.has(metric)) {
        firing.add(metric);
        outputs.push({ topic: Topics.alerts, key: alertId('canary-regression', releaseId, metric), value: canaryAlert(rel, j, 'FIRING', tMs, tMs) });
      } else if (!failing && firing.has(metric)) {
        firing.delete(metric);
        outputs.push({ topic: Topics.alerts, key: alertId('canary-regression', releaseId, metric), value: canaryAlert(rel, j, 'RESOLVED', tMs, tMs) });
      }
    }
    const events = outputs.filter((o) => o.topic === Topics.alerts).map((o) => alertEvent(o.value as AlertRecord));
    if (final) return { updates: [{ key: releaseId, value: null }], outputs, events };
    return {
      updates: [{ key: releaseId, value: { ...st, firing: [...firing] } }], outputs, events,
      timers: [{ kind: 'event-time' as const, id: `eval|${releaseId}|${tMs + every}`, atMs: tMs + every, payload: { releaseId } }],
    };
  };

  return {
    name: 'canary',
    inputTopics: [Topics.spans],
    outputTopics: [Topics.canaryVerdicts, Topics.alerts],
    store: 'canary',
    globalTopics: [Topics.releases],
    ...(opts.knownServices ? { globalValidators: { [Topics.releases]: releaseTableValidator(opts.knownServices) } } : {}),
    allowedLatenessMs: opts.allowedLatenessMs ?? 30_000,
    eventTimeMs: spanEventTimeMs,
    process(store, record, ctx) {
      const span = record.value;
      validateSpan(span, ctx.nowMs, sanity);
      const t = spanEventTimeMs(span);
      const releases = readReleases(ctx.globals.table<ReleaseEvent>(Topics.releases), opts.knownServices, t).valid;
      const hits = cohortsOf(span, releases);
      if (hits.length === 0) return {};
      const lat = spanDurationMs(span);
      const err = span.status === 'ERROR' ? 1 : 0;
      const updates = hits.map(({ release, cohort }: { release: ReleaseEvent; cohort: Cohort }) => {
        const prev = store.get(release.releaseId) ?? { releaseId: release.releaseId, canary: EMPTY, baseline: EMPTY, firing: [] };
        return { key: release.releaseId, value: { ...prev, [cohort]: push(prev[cohort], lat, err) } as CanaryState };
      });
      // One timer per evaluation slot: a single re-registered id would keep being pushed
      // forward by newer spans while the watermark lags, and never fire.
      const timers = hits.map(({ release }) => {
        const atMs = windowEndOf(t, every);
        return { kind: 'event-time' as const, id: `eval|${release.releaseId}|${atMs}`, atMs, payload: { releaseId: release.releaseId } };
      });
      return { updates, timers };
    },
    onTimer(store, timer, ctx) {
      if (!timer.id.startsWith('eval|')) return {};
      return evaluate(store, String(timer.payload?.['releaseId']), timer.atMs, ctx);
    },
  };
}
