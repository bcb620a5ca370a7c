/**
 * Which processor reads which topic, owns which store and writes which topic. Inputs are keyed
 * by vehicle; where a processor needs another grouping (fleet-wide CAN clusters, per-service
 * canaries and latency series, one view of all FMEA evidence) a stateless router re-keys the
 * records into a repartition topic `<app>-<name>-repartition` first.
 *
 *   vehicle.can.v1 ─► can-features ─► fmeaflow.can-features.v1 ─► [fleet] ─► can-clusters ─► fmeaflow.can-clusters.v1
 *   vehicle.metrics.v1 ─► series-drift-vehicle ─► baselines, drift ─► alerts (gray-release suppression)
 *                      └► [by series] ─► series-drift-metrics-fleet            (metricGrouping fleet|both)
 *   vehicle.spans.v1 ─► [by service] ─► series-drift-fleet (P95/error rate) ─► baselines, drift
 *                  │                └► canary ─► canary verdicts, alerts
 *                  └► series-drift-spans-vehicle                                (spanGrouping vehicle|both)
 *   fleet.releases.v1 ─► release-check (bad or unknown-service releases ─► DLQ)
 *   vehicle.logs.v1 ─► log-clusters (drift as a global table) ─► fmeaflow.log-clusters.v1
 *                      fmeaflow.log-clusters.v1 ─► [fleet] ─► log-clusters-fleet (groups by template signature) ─► fmeaflow.log-clusters-fleet.v1
 *   drift, alerts, log clusters, canary verdicts, CAN features, CAN clusters ─► [fleet] ─► fmea-evaluate ─► fmeaflow.actions.v1
 */
import { loadEngineConfig, type EngineConfig, type EngineConfigFiles } from './config/engine-config.ts';
import { noiseFloorsOf } from './fmea/rule-files.ts';
import { createAlertProcessor } from './processors/alerts/alert-processor.ts';
import { createCanaryProcessor } from './processors/canary/canary-processor.ts';
import { createCanClustersProcessor } from './processors/can/can-clusters.ts';
import { createCanFeaturesProcessor } from './processors/can/can-features.ts';
import { createSeriesDriftProcessor } from './processors/drift/series-drift-processor.ts';
import { DRIFT_DETECTORS, type DriftDetectorChoice } from './processors/drift/drift-config.ts';
export { DRIFT_DETECTORS, type DriftDetectorChoice } from './processors/drift/drift-config.ts';
import { createFmeaEvaluateProcessor } from './processors/fmea/fmea-evaluate.ts';
import { createLogClusterProcessor } from './processors/logs/log-cluster-processor.ts';
import { createFleetLogClusterProcessor } from './processors/logs/log-clusters-fleet-processor.ts';
import type { EmbeddingModelSource } from './processors/logs/embedding-model.ts';
import type { Processor } from './processors/processor.ts';
import { createRouter, readRepartitioned, restrictInputs } from './processors/repartition.ts';
import { spanEventTimeMs, type MetricRecord } from './processors/series/input-records.ts';
import { seriesId } from './processors/series/series-id.ts';
import { FLEET_SCOPE } from './processors/series/series-types.ts';
import { createReleaseCheckProcessor } from './processors/suppression/release-check.ts';
import { createGlobalDecodeCheckProcessor } from './processors/global-decode-check.ts';
import { ErrorCodes, FmeaflowError } from './errors.ts';
import { Topics, VEHICLE_KEYED_TOPICS } from './topic-catalog.ts';
import type { SeriesLimits } from './processors/series/series-admission.ts';

/** Time scales of the pipeline. The defaults suit fleets; `DRIVE_TIMING` suits the bundled two-minute drives. */
export interface TopologyTiming {
  /** Window of metric/span series and of EWMA baselines. */
  readonly seriesWindowMs: number;
  /** Windows of history before a baseline judges drift. */
  readonly baselineWarmupWindows: number;
  readonly canWindowMs: number;
  readonly logWindowMs: number;
  /** How long after a log window ends it is evaluated (to correlate drift of the same window). */
  readonly logCloseDelayMs: number;
  readonly canClusterPeriodMs: number;
  /**
   * Allowed lateness of CAN feature vectors at the fleet clustering (default 30 s). Vectors are already
   * closed on can-features' own watermark, so this only has to cover skew between vehicles; every
   * second of it delays the snapshots on top of can-features' lateness.
   */
  readonly canClusterLatenessMs?: number;
  readonly canaryEvaluateEveryMs: number;
  /** How far one partition's log-cluster events may trail another's and still count in the fleet window (default: one log window). */
  readonly logFleetSkewMs?: number;
  /**
   * How far (ms) one vehicle's metric/span may run ahead of its partition while other vehicles still
   * report before it counts as a clock jump and goes to the DLQ (CLOCK_JUMP) instead of making
   * their records late (default 2 min; runtime/time/source-clock.ts).
   */
  readonly maxClockJumpMs?: number;
  /**
   * Allowed lateness of drift events at the alerts stage (default 2 min). Drift events are already
   * closed on the series stages' own watermarks, so this only covers skew between those stages; the
   * alerts' event-time timers (missing heartbeat, keep_firing_for, suppression expiry) fire this much later.
   */
  readonly alertLatenessMs?: number;
}

export const FLEET_TIMING: TopologyTiming = {
  seriesWindowMs: 60_000, baselineWarmupWindows: 30, canWindowMs: 10_000, logWindowMs: 60_000, logCloseDelayMs: 15_000, canClusterPeriodMs: 60_000, canaryEvaluateEveryMs: 60_000,
};

/** Short windows so a 2-minute drive with a fault at 60 s has a warmed-up baseline before the fault. */
export const DRIVE_TIMING: TopologyTiming = {
  seriesWindowMs: 5_000, baselineWarmupWindows: 6, canWindowMs: 10_000, logWindowMs: 10_000, logCloseDelayMs: 5_000, canClusterPeriodMs: 10_000, canaryEvaluateEveryMs: 10_000,
  // Replayed vehicles stay within a window of each other; with 30 s here the fault windows after t=60 s of a
  // two-minute drive would never be clustered (30 s can-features lateness + 30 s here).
  canClusterLatenessMs: 10_000,
  // Half a window: replayed drives keep partitions in step, and the two-minute drives end one window after the fault window.
  logFleetSkewMs: 5_000,
  // Series allow 30 s of lateness: a vehicle 30 s ahead already makes the others late.
  maxClockJumpMs: 30_000,
  // alertLatenessMs keeps its 2-min default here. Drift events of per-vehicle and fleet series reach the alerts stage
  // far apart when a drive is replayed at full speed on the Kafka runtime (bench/fmea-onset-latency.ts, unpaced: 2.5 s
  // dropped 539–705 drift events per run as late, 30 s still 39–54, 2 min none). The price: alert timers (missing
  // heartbeat, keep_firing_for) fire 2 min of event time late, so within a two-minute drive alerts resolve only
  // through their RECOVERED events.
};

/** Series grouping choices: one series per vehicle, one across the fleet (repartitioned by series), or both. */
export const GROUPINGS = ['vehicle', 'fleet', 'both'] as const;
export type GroupingChoice = (typeof GROUPINGS)[number];

/** Throws CONFIG_INVALID unless `value` is a grouping choice; `what` names the option in the message. */
export function checkGrouping(value: unknown, what: string): GroupingChoice {
  if ((GROUPINGS as readonly unknown[]).includes(value)) return value as GroupingChoice;
  throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `${what} ${JSON.stringify(value)}: use vehicle (one series per vehicle), fleet (one series across the fleet) or both`, { details: { field: what } });
}

export interface TopologyOptions extends EngineConfigFiles {
  readonly app: string;
  readonly timing?: TopologyTiming;
  /** The loaded configuration files; when absent they are loaded from the `EngineConfigFiles` options (or their defaults). */
  readonly config?: EngineConfig;
  /** Series of metrics: per vehicle (default), fleet-wide, or both. */
  readonly metricGrouping?: GroupingChoice;
  /** Series of spans (P50/P95/P99 latency, error rate): fleet-wide (default), per vehicle, or both. */
  readonly spanGrouping?: GroupingChoice;
  /** Fleet size for the observed occurrence; default: the vehicles of the registry (fmeaflow.vehicles.v1). */
  readonly fleetSize?: number;
  /** Caps on series state per partition (default DEFAULT_SERIES_LIMITS; idle expiry follows the baseline's). */
  readonly seriesLimits?: Partial<Omit<SeriesLimits, 'idleMs'>>;
  /** Trained log-template encoders (the runtime's background trainer); absent = TF-IDF vectors only. */
  readonly logEmbeddings?: EmbeddingModelSource;
  /** Drift detector: `adaptive` (default) or `field-rule` (the seed article's EWMA α = 0.2, |z| > 3 for 2 consecutive windows). */
  readonly driftDetector?: DriftDetectorChoice;
}

/** Name of a repartition topic (same convention as the runtime's internal topics). */
export function repartitionTopicOf(app: string, name: string): string {
  return `${app}-${name}-repartition`;
}

const FLEET_KEY = 'fleet';

/** Builds the engine's processors. */
export function buildTopology(o: TopologyOptions): Processor<any, any>[] {
  const t = o.timing ?? FLEET_TIMING;
  const metricGrouping = checkGrouping(o.metricGrouping ?? 'vehicle', 'metricGrouping');
  const spanGrouping = checkGrouping(o.spanGrouping ?? 'fleet', 'spanGrouping');
  const config = o.config ?? loadEngineConfig(o);
  const { policies, knownSeries } = config;
  const knownServices = policies.services ? new Set(policies.services) : undefined;
  // Vehicles share partitions (and a watermark): one vehicle's clock jump must not make the others late (every per-vehicle input: CAN, metrics, spans, logs).
  const perVehicleClock = <P extends Processor<any, any>>(p: P): P => ({
    ...p,
    sourceClock: { sourceOf: (v: { vehicleId?: unknown } | null) => (typeof v?.vehicleId === 'string' ? v.vehicleId : undefined), maxJumpMs: t.maxClockJumpMs ?? 120_000 },
  });
  if (o.driftDetector !== undefined && !(DRIFT_DETECTORS as readonly string[]).includes(o.driftDetector)) {
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `driftDetector ${JSON.stringify(o.driftDetector)}: use adaptive (default) or field-rule`, { details: { field: 'driftDetector' } });
  }
  const drift = { baseline: { warmupWindows: t.baselineWarmupWindows }, noiseFloors: noiseFloorsOf(knownSeries ?? []), ...(o.driftDetector === 'field-rule' ? { adaptive: null } : {}) };

  const spansByService = repartitionTopicOf(o.app, 'spans-by-service');
  const metricsBySeries = repartitionTopicOf(o.app, 'metrics-by-series');
  const canFeaturesFleet = repartitionTopicOf(o.app, 'can-features-fleet');
  const evidence = repartitionTopicOf(o.app, 'fmea-evidence');
  const logClustersFleet = repartitionTopicOf(o.app, 'log-clusters-fleet');

  const canFeatures = createCanFeaturesProcessor({ windowMs: t.canWindowMs, networks: config.canNetworks });
  const canClusters = createCanClustersProcessor({ periodMs: t.canClusterPeriodMs, ...(t.canClusterLatenessMs !== undefined ? { allowedLatenessMs: t.canClusterLatenessMs } : {}) });
  const limits = o.seriesLimits ?? {};
  const seriesDrift = createSeriesDriftProcessor({ window: { windowMs: t.seriesWindowMs, grouping: 'vehicle', limits }, drift });
  const fleetSeriesDrift = createSeriesDriftProcessor({ window: { windowMs: t.seriesWindowMs, grouping: 'fleet', limits }, drift });
  const fleetLogClusters = createFleetLogClusterProcessor({ windowMs: t.logWindowMs, skewMs: t.logFleetSkewMs ?? t.logWindowMs });
  const canary = createCanaryProcessor({ evaluateEveryMs: t.canaryEvaluateEveryMs, ...(knownServices ? { knownServices } : {}) });
  const vehicleLevel = (g: GroupingChoice): boolean => g !== 'fleet';
  const fleetLevel = (g: GroupingChoice): boolean => g !== 'vehicle';
  const fmea = createFmeaEvaluateProcessor({
    occurrenceTable: config.occurrenceTable,
    ...(o.fleetSize ? { fleetSize: o.fleetSize } : {}),
    ...(knownSeries ? { knownSeries: new Set(knownSeries.map((e) => e.name)) } : {}),
  });
  const evidenceTopics = fmea.inputTopics;
  // Routers need co-partitioned inputs: the single-partition CAN cluster topic gets its own router.
  const singlePartitionEvidence = evidenceTopics.filter((x) => x === Topics.canClusters);
  const keyedEvidence = evidenceTopics.filter((x) => x !== Topics.canClusters);

  return keyedByVehicle([
    perVehicleClock(canFeatures),
    createRouter({ name: 'route-can-features-fleet', inputTopics: [Topics.canFeatures], outputTopic: canFeaturesFleet, keyOf: () => FLEET_KEY, eventTimeMs: (v, topic) => canClusters.eventTimeMs(v as never, topic) }),
    readRepartitioned(canClusters, canFeaturesFleet),
    ...(vehicleLevel(metricGrouping) ? [perVehicleClock(restrictInputs(seriesDrift, [Topics.metrics], 'series-drift-vehicle'))] : []),
    // A fleet series pools every vehicle, so all its points must meet in one partition: key by the series without the vehicle.
    ...(fleetLevel(metricGrouping) ? [
      createRouter({ name: 'route-metrics-by-series', inputTopics: [Topics.metrics], outputTopic: metricsBySeries, keyOf: (v: MetricRecord) => seriesId(v.name, v.labels ?? {}, FLEET_SCOPE), eventTimeMs: (v) => v.timestampMs }),
      readRepartitioned(perVehicleClock(restrictInputs(fleetSeriesDrift, [Topics.metrics], 'series-drift-metrics-fleet')), metricsBySeries),
    ] : []),
    createRouter({ name: 'route-spans-by-service', inputTopics: [Topics.spans], outputTopic: spansByService, keyOf: (v: { service: string }) => v.service, eventTimeMs: (v) => spanEventTimeMs(v as never) }),
    ...(fleetLevel(spanGrouping) ? [readRepartitioned(perVehicleClock(restrictInputs(fleetSeriesDrift, [Topics.spans], 'series-drift-fleet')), spansByService)] : []),
    ...(vehicleLevel(spanGrouping) ? [perVehicleClock(restrictInputs(seriesDrift, [Topics.spans], 'series-drift-spans-vehicle'))] : []),
    readRepartitioned(perVehicleClock(canary), spansByService),
    createReleaseCheckProcessor(knownServices ? { knownServices } : {}),
    createGlobalDecodeCheckProcessor(),
    createAlertProcessor({ policies, ...(policies.alertRules ? { rules: policies.alertRules } : {}), ...(knownServices ? { knownServices } : {}), ...(t.alertLatenessMs !== undefined ? { allowedLatenessMs: t.alertLatenessMs } : {}) }),
    perVehicleClock(createLogClusterProcessor({ windowMs: t.logWindowMs, closeDelayMs: t.logCloseDelayMs, ...(o.logEmbeddings ? { embeddings: o.logEmbeddings } : {}) })),
    // One key, not the signature: per-partition processors emit only on NEW/RATE_UP/GONE, so a repartition partition holding
    // few signatures would see no later event to move its watermark and its windows would never close (the eeprom drive's
    // fault cluster did exactly that). The processor groups by signature itself; the event volume (not lines) fits one partition.
    // fmea-evaluate keeps reading the per-partition events, so evidence is not counted twice.
    createRouter({
      name: 'route-log-clusters-fleet', inputTopics: [Topics.logClusters], outputTopic: logClustersFleet,
      keyOf: () => FLEET_KEY, eventTimeMs: (v, topic) => fleetLogClusters.eventTimeMs(v, topic),
    }),
    readRepartitioned(fleetLogClusters, logClustersFleet),
    createRouter({ name: 'route-fmea-evidence', inputTopics: keyedEvidence, outputTopic: evidence, keyOf: () => FLEET_KEY, eventTimeMs: (v, topic) => fmea.eventTimeMs(v, topic) }),
    ...(singlePartitionEvidence.length ? [createRouter({ name: 'route-fmea-evidence-clusters', inputTopics: singlePartitionEvidence, outputTopic: evidence, keyOf: () => FLEET_KEY, eventTimeMs: (v, topic) => fmea.eventTimeMs(v, topic) })] : []),
    readRepartitioned(fmea, evidence),
  ]);
}

/**
 * Every processor reading a vehicle input checks that a record's key is its vehicle id (the routers too: the
 * repartitioned series, canary cohorts and clusters downstream keep state per vehicle id as well).
 */
function keyedByVehicle(ps: Processor<any, any>[]): Processor<any, any>[] {
  return ps.map((p) => !p.inputTopics.some((x) => VEHICLE_KEYED_TOPICS.has(x)) ? p : {
    ...p,
    expectedKey: (v: { vehicleId?: unknown } | null, topic: string) => (VEHICLE_KEYED_TOPICS.has(topic) && typeof v?.vehicleId === 'string' ? v.vehicleId : undefined),
  });
}

/** The entry point `fmeaflow worker` loads (`--timing drive` for the bundled drives; the other options as in TopologyOptions). */
export function processors({ app, timing, ...rest }: { app: string; timing?: 'fleet' | 'drive' } & Omit<TopologyOptions, 'app' | 'timing'>): Processor<any, any>[] {
  return buildTopology({ ...rest, app, timing: timing === 'drive' ? DRIVE_TIMING : FLEET_TIMING });
}
