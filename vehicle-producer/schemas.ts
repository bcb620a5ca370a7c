/**
 * The input record types the producer writes, loaded from the contract files in
 * `schemas/` (never duplicated here), plus the TypeScript shapes of their values.
 */
import { fileURLToPath } from 'node:url';
import { loadAvroSchemaFile, type AvroType } from '../streams/runtime/serde/avro-type.ts';
import { Topics } from '../streams/topic-catalog.ts';

/** Kinds of record a drive or JSONL file can hold. */
export type RecordKind = 'metrics' | 'spans' | 'logs' | 'releases';

/** Schema file per record kind (same files the topic catalog names). */
export const SCHEMA_FILES: Record<RecordKind | 'can', string> = {
  can: 'can-frame-batch.avsc',
  metrics: 'metric.avsc',
  spans: 'span.avsc',
  logs: 'log-record.avsc',
  releases: 'release-event.avsc',
};

/** Default topic per record kind. */
export const DEFAULT_TOPICS: Record<RecordKind | 'can', string> = {
  can: Topics.can,
  metrics: Topics.metrics,
  spans: Topics.spans,
  logs: Topics.logs,
  releases: Topics.releases,
};

const cache = new Map<string, AvroType>();

/** Absolute path of a file in the project's `schemas/` folder. */
export function schemaPath(file: string): string {
  return fileURLToPath(new URL(`../schemas/${file}`, import.meta.url));
}

/** The avsc type of a record kind (cached). */
export function avroTypeOf(kind: RecordKind | 'can'): AvroType {
  let t = cache.get(kind);
  if (!t) {
    t = loadAvroSchemaFile(schemaPath(SCHEMA_FILES[kind])).type;
    cache.set(kind, t);
  }
  return t;
}

/** Value of a Metric record. */
export interface MetricRecord {
  vehicleId: string;
  name: string;
  labels: Record<string, string>;
  kind: 'GAUGE' | 'COUNTER' | 'HISTOGRAM';
  timestampMs: number;
  value: number | null;
  histogram: { bounds: number[]; counts: number[]; sum: number; count: number } | null;
  unit: string | null;
}

/** Value of a Span record. */
export interface SpanRecord {
  vehicleId: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  service: string;
  serviceVersion: string | null;
  name: string;
  kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  startTimeUs: number;
  endTimeUs: number;
  status: 'UNSET' | 'OK' | 'ERROR';
  statusMessage: string | null;
  attributes: Record<string, string>;
}

/** Log severities in ascending order. */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';

/** Value of a LogRecord record. */
export interface LogRecordValue {
  vehicleId: string;
  service: string;
  serviceVersion: string | null;
  level: LogLevel;
  body: string;
  timestampMs: number;
  traceId: string | null;
  spanId: string | null;
  attributes: Record<string, string>;
  samplingRate: number;
}

/** Value of a ReleaseEvent record. */
export interface ReleaseEventRecord {
  releaseId: string;
  service: string;
  version: string;
  baselineVersion: string | null;
  phase: 'START' | 'RAMP' | 'PROMOTE' | 'ROLLBACK' | 'END';
  trafficPercent: number;
  cohort: string;
  cohortVehicleIds: string[];
  timestampMs: number;
  /** Earlier lifecycle events of this release, oldest first (the table keeps only the latest one). */
  history?: ReleaseStepRecord[];
}

/** An earlier lifecycle event inside `ReleaseEventRecord.history`. */
export interface ReleaseStepRecord {
  phase: ReleaseEventRecord['phase'];
  trafficPercent: number;
  cohortVehicleIds: string[];
  timestampMs: number;
}

/** Value of a CanFrameBatch record. */
export interface CanFrameBatchRecord {
  vehicleId: string;
  bus: string;
  bitrateBps: number | null;
  seq: number;
  batchStartUs: number;
  batchEndUs: number;
  frames: { timestampUs: number; id: number; extended: boolean; fd: boolean; brs: boolean; rtr: boolean; error: boolean; dlc: number; data: Buffer }[];
  droppedFrames: number;
}

/** A record of any non-CAN kind, tagged. */
export type TaggedRecord =
  | { kind: 'metrics'; value: MetricRecord }
  | { kind: 'spans'; value: SpanRecord }
  | { kind: 'logs'; value: LogRecordValue }
  | { kind: 'releases'; value: ReleaseEventRecord };

/** Event time (ms) of a tagged record. */
export function eventTimeMs(r: TaggedRecord): number {
  if (r.kind === 'spans') return Math.floor(r.value.endTimeUs / 1000);
  return r.value.timestampMs;
}

/** Kafka key of a tagged record: vehicle id, or the release id for release events. */
export function recordKey(r: TaggedRecord): string {
  return r.kind === 'releases' ? r.value.releaseId : r.value.vehicleId;
}
