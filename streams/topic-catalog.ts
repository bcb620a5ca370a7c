/**
 * Every topic of the architecture with its record schema and configuration. This is
 * the single place topic names live; processors and the runtime import the constants.
 *
 * On a shared cluster every name fmeaflow gives (topics here; the app id that starts its consumer
 * groups, transactional ids and changelogs; the fixed ids of its tools) starts with
 * `FMEAFLOW_TOPIC_PREFIX`, so one PREFIXED ACL per resource type covers a deployment. It is read
 * once, when this module loads: the CLI folds `--topic-prefix` and the properties file's
 * `fmeaflow.topic.prefix` into the environment before it loads anything that names a topic
 * (streams/config/topic-prefix.ts).
 */
import { checkTopicPrefix } from './topic-prefix.ts';

function readPrefix(): string {
  const raw = (typeof process !== 'undefined' ? process.env.FMEAFLOW_TOPIC_PREFIX : undefined) ?? '';
  const why = checkTopicPrefix(raw);
  if (why) throw new Error(why);
  return raw;
}

/** Start of every topic, group and transactional id fmeaflow names; '' on a cluster of its own. */
export const TOPIC_PREFIX = readPrefix();

/** `name` in this deployment's namespace (unchanged when it already is, so applying it twice is harmless). */
export function prefixed(name: string): string {
  return name.startsWith(TOPIC_PREFIX) ? name : `${TOPIC_PREFIX}${name}`;
}

/** Topic names before the prefix (for what states another deployment's names, like its ACLs). */
export const LOGICAL_TOPICS = {
  can: 'vehicle.can.v1',
  metrics: 'vehicle.metrics.v1',
  spans: 'vehicle.spans.v1',
  logs: 'vehicle.logs.v1',
  releases: 'fleet.releases.v1',
  rules: 'fmea.rules.v1',
  vehicles: 'fmeaflow.vehicles.v1',
  baselines: 'fmeaflow.baselines.v1',
  drift: 'fmeaflow.drift.v1',
  alerts: 'fmeaflow.alerts.v1',
  canaryVerdicts: 'fmeaflow.canary-verdicts.v1',
  logClusters: 'fmeaflow.log-clusters.v1',
  logClustersFleet: 'fmeaflow.log-clusters-fleet.v1',
  canFeatures: 'fmeaflow.can-features.v1',
  canClusters: 'fmeaflow.can-clusters.v1',
  actions: 'fmeaflow.actions.v1',
  late: 'fmeaflow.late.v1',
  dlq: 'fmeaflow.dlq.v1',
} as const;

export const Topics = Object.freeze(Object.fromEntries(Object.entries(LOGICAL_TOPICS).map(([k, v]) => [k, prefixed(v)]))) as { readonly [K in keyof typeof LOGICAL_TOPICS]: string };

export type TopicName = string;

/** Vehicle inputs: every record is keyed by the `vehicleId` in its value, and state downstream is kept per that id. */
export const VEHICLE_KEYED_TOPICS: ReadonlySet<string> = new Set([Topics.can, Topics.metrics, Topics.spans, Topics.logs]);

export interface TopicSpec {
  readonly name: string;
  /** File name in `schemas/` of the value schema (registered as `<topic>-value`). */
  readonly schema: string;
  readonly partitions: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** -1 = keep forever. */
  readonly retentionMs: number;
  /** input: written by vehicles; global: read in full by every worker; output: written by the engine. */
  readonly role: 'input' | 'global' | 'output' | 'internal';
  readonly doc: string;
}

const DAY = 24 * 3600 * 1000;

/** Default partition count for keyed vehicle topics; raise it to scale out (see bench/RESULTS.md). */
export const DEFAULT_PARTITIONS = 6;

export const TOPIC_SPECS: readonly TopicSpec[] = [
  { name: Topics.can, schema: 'can-frame-batch.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 7 * DAY, role: 'input', doc: 'CAN frames batched per vehicle and interval' },
  { name: Topics.metrics, schema: 'metric.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 7 * DAY, role: 'input', doc: 'Vehicle and ECU-service metrics' },
  { name: Topics.spans, schema: 'span.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 7 * DAY, role: 'input', doc: 'Trace spans of ECU services' },
  { name: Topics.logs, schema: 'log-record.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 7 * DAY, role: 'input', doc: 'Service log lines' },
  { name: Topics.releases, schema: 'release-event.avsc', partitions: 1, cleanupPolicy: 'compact', retentionMs: -1, role: 'global', doc: 'Gray (canary) release lifecycle events, keyed by release id' },
  { name: Topics.rules, schema: 'rule-set.avsc', partitions: 1, cleanupPolicy: 'compact', retentionMs: -1, role: 'global', doc: 'Published FMEA rule sets, keyed by worksheet' },
  { name: Topics.vehicles, schema: 'vehicle.avsc', partitions: 1, cleanupPolicy: 'compact', retentionMs: -1, role: 'global', doc: 'Vehicle registry (model, model year, ECU software), keyed by vehicle id; maps evidence to the FMEA model scope' },
  { name: Topics.baselines, schema: 'baseline.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'compact', retentionMs: -1, role: 'output', doc: 'Latest EWMA baseline per series' },
  { name: Topics.drift, schema: 'drift-event.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 30 * DAY, role: 'output', doc: 'Baseline drift detections' },
  { name: Topics.alerts, schema: 'alert.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 30 * DAY, role: 'output', doc: 'Alert lifecycle events, fired and suppressed (with reason)' },
  { name: Topics.canaryVerdicts, schema: 'canary-verdict.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 30 * DAY, role: 'output', doc: 'Canary verdicts per release and metric' },
  { name: Topics.logClusters, schema: 'log-cluster-event.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 30 * DAY, role: 'output', doc: 'Log cluster lifecycle and trend events' },
  // Same schema as fmeaflow.log-clusters.v1 (registered as its own <topic>-value subject); partition = -1 marks fleet-wide events.
  { name: Topics.logClustersFleet, schema: 'log-cluster-event.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 30 * DAY, role: 'output', doc: 'Fleet-wide log cluster lifecycle and trend events (per-partition clusters merged by template signature, keyed by fleet cluster id)' },
  { name: Topics.canFeatures, schema: 'can-feature-vector.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 7 * DAY, role: 'output', doc: 'CAN feature vectors per vehicle and window' },
  { name: Topics.canClusters, schema: 'can-cluster-snapshot.avsc', partitions: 1, cleanupPolicy: 'delete', retentionMs: 30 * DAY, role: 'output', doc: 'Fleet-wide CAN feature clusters with centroids' },
  { name: Topics.actions, schema: 'fmea-action.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'compact', retentionMs: -1, role: 'output', doc: 'RPN/AP-ranked FMEA corrective actions, keyed by entry and scope' },
  { name: Topics.late, schema: 'late-record.avsc', partitions: DEFAULT_PARTITIONS, cleanupPolicy: 'delete', retentionMs: 7 * DAY, role: 'output', doc: 'Records that arrived after their window closed' },
  { name: Topics.dlq, schema: 'dead-letter.avsc', partitions: 1, cleanupPolicy: 'delete', retentionMs: 30 * DAY, role: 'output', doc: 'Records that failed to decode or process, with raw bytes' },
];

/** Looks up a topic's spec; internal topics (changelogs, repartitions) are not listed here. */
export function topicSpec(name: string): TopicSpec | undefined {
  return TOPIC_SPECS.find((t) => t.name === name);
}
