/**
 * Which processor reads which topic, owns which store and writes which topic. Inputs are keyed
 * by vehicle; where a processor needs another grouping (fleet-wide CAN clusters, per-service
 * canaries and latency series, one view of all FMEA evidence) a stateless router re-keys the
 * records into a repartition topic `<app>-<name>-repartition` first.
 *
 *   vehicle.can.v1 ─► can-features ─► fmeaflow.can-features.v1 ─► [fleet] ─► can-clusters ─► fmeaflow.can-clusters.v1
 *   vehicle.metrics.v1 ─► series-drift-vehicle ─► baselines, drift ─► alerts (gray-release suppression)
 *   vehicle.spans.v1 ─► [by service] ─► series-drift-fleet (P95/error rate) ─► baselines, drift
 *                                   └► canary ─► canary verdicts, alerts
 *   vehicle.logs.v1 ─► log-clusters (drift as a global table) ─► fmeaflow.log-clusters.v1
 *   drift, alerts, log clusters, canary verdicts, CAN features, CAN clusters ─► [fleet] ─► fmea-evaluate ─► fmeaflow.actions.v1
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadKnownSeries, loadOccurrenceTable } from './fmea/rule-files.ts';
import { createAlertProcessor } from './processors/alerts/alert-processor.ts';
import { createCanaryProcessor } from './processors/canary/canary-processor.ts';
import { createCanClustersProcessor } from './processors/can/can-clusters.ts';
import { createCanFeaturesProcessor } from './processors/can/can-features.ts';
import { createSeriesDriftProcessor } from './processors/drift/series-drift-processor.ts';
import { createFmeaEvaluateProcessor } from './processors/fmea/fmea-evaluate.ts';
import { createLogClusterProcessor } from './processors/logs/log-cluster-processor.ts';
import type { EncoderHolder } from './processors/logs/template-encoder.ts';
import type { Processor } from './processors/processor.ts';
import { createRouter, readRepartitioned, restrictInputs } from './processors/repartition.ts';
import { spanEventTimeMs } from './processors/series/input-records.ts';
import { parsePolicyFile } from './processors/suppression/policy-file.ts';
import { PROJECT_ROOT } from './runtime/stack/stack-config.ts';
import { Topics } from './topic-catalog.ts';

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
  readonly canaryEvaluateEveryMs: number;
}

export const FLEET_TIMING: TopologyTiming = {
  seriesWindowMs: 60_000, baselineWarmupWindows: 30, canWindowMs: 10_000, logWindowMs: 60_000, logCloseDelayMs: 15_000, canClusterPeriodMs: 60_000, canaryEvaluateEveryMs: 60_000,
};

/** Short windows so a 2-minute drive with a fault at 60 s has a warmed-up baseline before the fault. */
export const DRIVE_TIMING: TopologyTiming = {
  seriesWindowMs: 5_000, baselineWarmupWindows: 6, canWindowMs: 10_000, logWindowMs: 10_000, logCloseDelayMs: 5_000, canClusterPeriodMs: 10_000, canaryEvaluateEveryMs: 10_000,
};

export interface TopologyOptions {
  readonly app: string;
  readonly timing?: TopologyTiming;
  readonly policiesFile?: string;
  readonly rulesDir?: string;
  /** Fleet size for the observed occurrence; default: vehicles seen in evidence. */
  readonly fleetSize?: number;
  /** Holder the background training job swaps the log-template encoder into. */
  readonly logEncoder?: EncoderHolder;
}

/** Name of a repartition topic (same convention as the runtime's internal topics). */
export function repartitionTopicOf(app: string, name: string): string {
  return `${app}-${name}-repartition`;
}

const FLEET_KEY = 'fleet';

/** Builds the engine's processors. */
export function buildTopology(o: TopologyOptions): Processor<any, any>[] {
  const t = o.timing ?? FLEET_TIMING;
  const policiesFile = o.policiesFile ?? path.join(PROJECT_ROOT, 'config', 'suppression-policies.yaml');
  const rulesDir = o.rulesDir ?? path.join(PROJECT_ROOT, 'fmea-rules');
  const policies = parsePolicyFile(fs.readFileSync(policiesFile, 'utf8'), policiesFile);
  const drift = { baseline: { warmupWindows: t.baselineWarmupWindows } };

  const spansByService = repartitionTopicOf(o.app, 'spans-by-service');
  const canFeaturesFleet = repartitionTopicOf(o.app, 'can-features-fleet');
  const evidence = repartitionTopicOf(o.app, 'fmea-evidence');

  const canFeatures = createCanFeaturesProcessor({ windowMs: t.canWindowMs });
  const canClusters = createCanClustersProcessor({ periodMs: t.canClusterPeriodMs });
  const seriesDrift = createSeriesDriftProcessor({ window: { windowMs: t.seriesWindowMs, grouping: 'vehicle' }, drift });
  const fleetSeriesDrift = createSeriesDriftProcessor({ window: { windowMs: t.seriesWindowMs, grouping: 'fleet' }, drift });
  const canary = createCanaryProcessor({ evaluateEveryMs: t.canaryEvaluateEveryMs });
  const fmea = createFmeaEvaluateProcessor({
    occurrenceTable: loadOccurrenceTable(path.join(rulesDir, 'occurrence-table.yaml')),
    ...(o.fleetSize ? { fleetSize: o.fleetSize } : {}),
    ...(fs.existsSync(path.join(rulesDir, 'known-series.yaml')) ? { knownSeries: loadKnownSeries(path.join(rulesDir, 'known-series.yaml')) } : {}),
  });
  const evidenceTopics = fmea.inputTopics;
  // Routers need co-partitioned inputs: the single-partition CAN cluster topic gets its own router.
  const singlePartitionEvidence = evidenceTopics.filter((x) => x === Topics.canClusters);
  const keyedEvidence = evidenceTopics.filter((x) => x !== Topics.canClusters);

  return [
    canFeatures,
    createRouter({ name: 'route-can-features-fleet', inputTopics: [Topics.canFeatures], outputTopic: canFeaturesFleet, keyOf: () => FLEET_KEY, eventTimeMs: (v, topic) => canClusters.eventTimeMs(v as never, topic) }),
    readRepartitioned(canClusters, canFeaturesFleet),
    restrictInputs(seriesDrift, [Topics.metrics], 'series-drift-vehicle'),
    createRouter({ name: 'route-spans-by-service', inputTopics: [Topics.spans], outputTopic: spansByService, keyOf: (v: { service: string }) => v.service, eventTimeMs: (v) => spanEventTimeMs(v as never) }),
    readRepartitioned(restrictInputs(fleetSeriesDrift, [Topics.spans], 'series-drift-fleet'), spansByService),
    readRepartitioned(canary, spansByService),
    createAlertProcessor({ policies }),
    createLogClusterProcessor({ windowMs: t.logWindowMs, closeDelayMs: t.logCloseDelayMs, ...(o.logEncoder ? { encoder: o.logEncoder } : {}) }),
    createRouter({ name: 'route-fmea-evidence', inputTopics: keyedEvidence, outputTopic: evidence, keyOf: () => FLEET_KEY, eventTimeMs: (v, topic) => fmea.eventTimeMs(v, topic) }),
    ...(singlePartitionEvidence.length ? [createRouter({ name: 'route-fmea-evidence-clusters', inputTopics: singlePartitionEvidence, outputTopic: evidence, keyOf: () => FLEET_KEY, eventTimeMs: (v, topic) => fmea.eventTimeMs(v, topic) })] : []),
    readRepartitioned(fmea, evidence),
  ];
}

/** The entry point `fmeaflow worker` loads. */
export function processors({ app }: { app: string }): Processor<any, any>[] {
  return buildTopology({ app });
}
