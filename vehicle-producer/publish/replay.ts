/**
 * Replays recorded telemetry to Kafka: drive folders or loose candump/JSONL files are
 * merged in event time, optionally fanned out to N vehicles, paced (real time, ×N or as
 * fast as possible), CAN frames pass the per-vehicle bandwidth cap and are batched per
 * vehicle per interval, logs pass adaptive sampling, and everything is Avro-encoded and
 * sent keyed by vehicle id (release events by release id) through the spooling sink.
 */
import seedrandom from 'seedrandom';
import { brokers as defaultBrokers, registryUrl as defaultRegistryUrl } from '../../streams/runtime/kafka/connection.ts';
import { provisionTopics } from '../../streams/runtime/admin/topic-provisioner.ts';
import { TOPIC_SPECS, Topics } from '../../streams/topic-catalog.ts';
import { createKafka } from '../../streams/runtime/kafka/client.ts';
import { ErrorCodes, FmeaflowError } from '../../streams/errors.ts';
import { driveSources, mergeSources, type ReplaySource, type TimedItem } from '../drive/drive-reader.ts';
import { readDriveEntry } from '../drive/drive-manifest.ts';
import { IssueLog } from '../sources/source-errors.ts';
import type { CandumpTimeOptions } from '../sources/candump-parser.ts';
import { DEFAULT_TOPICS, recordKey, type RecordKind, type TaggedRecord } from '../schemas.ts';
import { BandwidthCap, frameCostBytes } from './bandwidth-cap.ts';
import { CanBatcher } from './can-batcher.ts';
import { cloneFrame, cloneRecord, cloneVehicleId } from './fan-out.ts';
import { LogSampler } from './log-sampler.ts';
import { createOfflineEncoder, createRecordEncoder, type RecordEncoder, type TopicMap } from './avro-encoder.ts';
import { KafkaSink, type SinkStats } from './kafka-sink.ts';
import { producerMetrics, SamplingRateGauge } from '../producer-metrics.ts';
import { SignalDecoder, type DecodeStats } from '../dbc/signal-decoder.ts';
import type { DbcDatabase } from '../dbc/dbc-types.ts';
import { WALL_CLOCK, type ReplayClock } from './replay-clock.ts';
import { driveRegistrations, vehicleEncoder, type VehicleRegistration } from './vehicle-registry.ts';

/** Progress report (called about every 250 ms of wall time and at the end). */
export interface ReplayProgress {
  records: number;
  frames: number;
  /** Event time reached, epoch ms. */
  eventTimeMs: number;
  /** 0..1 when the event-time span is known (drives), else null. */
  fraction: number | null;
}

/** Options shared by drive and file replays. */
export interface ReplayOptions {
  brokers?: string[];
  registryUrl?: string;
  /** Real-time multiplier; `Infinity` (or 'max') = as fast as possible. Default Infinity. */
  speed?: number | 'max';
  /** Number of vehicles per drive vehicle. Default 1. */
  fanOut?: number;
  /** Event-time shift between clones. Default 250 ms. */
  fanOutOffsetMs?: number;
  /** CAN batching interval. Default 100 ms. */
  batchMs?: number;
  /** Per-vehicle uplink cap in bytes/s (CAN frames); 0/undefined = none. */
  bandwidthBps?: number;
  /** Adaptive log sampling on/off. Default true. */
  sampleLogs?: boolean;
  /** Seed of the sampling decisions. Default 1. */
  seed?: number;
  /** Topic names per kind (tests use unique ones). */
  topics?: Partial<TopicMap>;
  /**
   * Topic of the vehicle registry records a drive replay writes first (one per vehicle, from drive.json):
   * default fmeaflow.vehicles.v1, but none when `topics` renames the producer's topics and this is not given
   * (a test's private topics must not register its vehicles fleet-wide); null = never.
   */
  vehiclesTopic?: string | null;
  /** Create missing topics from the catalog (partitions, cleanup). Default true. */
  ensureTopics?: boolean;
  /** Spool folder for store-and-forward; default none (unreachable broker is an error). */
  spoolDir?: string;
  spoolMaxBytes?: number;
  /** Encode with the local schemas (schema id 0, no registry) but do not send (benchmarks, validation). Default false. */
  dryRun?: boolean;
  /** How long to wait at the end for the spool to drain. Default 30 s. */
  drainTimeoutMs?: number;
  /** DBCs to decode CAN frames with: known ids become `can_signal` metrics, unknown ones are counted. */
  dbc?: readonly DbcDatabase[];
  /** Event time between two points of one decoded signal. Default 1000 ms. */
  signalIntervalMs?: number;
  /** How candump sources without their own `time` read relative / date timestamps (-tz, -td, -tA zone). */
  candumpTime?: CandumpTimeOptions;
  /**
   * Longest wall-time wait for one gap in event time when pacing (default 10 s): a longer
   * gap (a clock jump, a capture paused for hours) is skipped rather than waited out, and
   * counted in `pacingGapsSkipped`.
   */
  maxPacedWaitMs?: number;
  /** Bitrate put into CanFrameBatch.bitrateBps. */
  bitrateBps?: number | null;
  /** Bitrate per bus name (`produce --bitrate can0=500000`); wins over bitrateBps. */
  bitrateByBus?: Readonly<Record<string, number>>;
  onProgress?: (p: ReplayProgress) => void;
  /** Clock of pacing, progress and elapsedMs; default the wall clock (tests pass a fake one). */
  clock?: ReplayClock;
  /** Sees every record as it is emitted (before encoding); with `dryRun` this replays into memory. */
  onRecord?: (topic: string, key: string, value: unknown) => void;
  /** Use an existing sink (the caller starts and closes it). */
  sink?: KafkaSink;
}

/** What a replay did. */
export interface ReplayResult {
  records: Record<RecordKind | 'can', number>;
  frames: number;
  droppedFrames: number;
  logsSampledOut: number;
  bytes: number;
  inputErrors: number;
  issues: string[];
  sink: SinkStats | null;
  elapsedMs: number;
  /** Event time covered, ms. */
  eventSpanMs: number;
  /** Event time of the first item, epoch ms; null when nothing was read. */
  eventStartMs: number | null;
  /** DBC decoding counters; null without `dbc`. */
  decode: DecodeStats | null;
  /** Vehicle registry records written (drives only). */
  registeredVehicles: number;
  /** Frames behind an already batched window of their vehicle and bus (out of time order), not sent. */
  outOfOrderFrames: number;
  /** Event-time gaps longer than `maxPacedWaitMs` that pacing skipped instead of waiting. */
  pacingGapsSkipped: number;
}

/** Default of ReplayOptions.maxPacedWaitMs. */
export const MAX_PACED_WAIT_MS = 10_000;

function speedOf(s: ReplayOptions['speed']): number {
  if (s === undefined || s === 'max') return Number.POSITIVE_INFINITY;
  if (!(s > 0)) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `replay speed must be > 0 or 'max', got ${s}`);
  return s;
}

/** Replays one drive folder (`drives/<name>`). */
export async function replayDrive(opts: ReplayOptions & { drive: string }): Promise<ReplayResult> {
  const d = readDriveEntry(opts.drive);
  const vehicles = driveRegistrations(d, { fanOut: opts.fanOut ?? 1 });
  return replaySources(driveSources(opts.drive), { bitrateBps: d.bitrateBps, ...opts }, { startUs: d.baseTimeMs * 1000, spanUs: d.durationMs * 1000 }, vehicles);
}

/**
 * Replays several drives at once as one fleet, merged in event time (drives share their base
 * time, so played one after the other the later ones would be behind every watermark). Each
 * drive's vehicles get the prefix `<drive name>/`.
 */
export async function replayDrives(opts: ReplayOptions & { drives: readonly string[] }): Promise<ReplayResult> {
  const entries = opts.drives.map((d) => ({ dir: d, entry: readDriveEntry(d) }));
  const sources = entries.flatMap(({ dir, entry }) => driveSources(dir, `${entry.name}/`));
  const startUs = Math.min(...entries.map((e) => e.entry.baseTimeMs)) * 1000;
  const endUs = Math.max(...entries.map((e) => e.entry.baseTimeMs + e.entry.durationMs)) * 1000;
  const vehicles = entries.flatMap(({ entry }) => driveRegistrations(entry, { prefix: `${entry.name}/`, fanOut: opts.fanOut ?? 1, atMs: startUs / 1000 }));
  return replaySources(sources, { bitrateBps: entries[0]?.entry.bitrateBps ?? null, ...opts }, { startUs, spanUs: endUs - startUs }, vehicles);
}

/** Replays any set of time-ordered sources; `vehicles` (registry entries) are written before the first record. */
export async function replaySources(sources: ReplaySource[], opts: ReplayOptions, span?: { startUs: number; spanUs: number }, vehicles: readonly VehicleRegistration[] = []): Promise<ReplayResult> {
  const clock = opts.clock ?? WALL_CLOCK;
  const started = clock.nowMs();
  const speed = speedOf(opts.speed);
  const fanOut = opts.fanOut ?? 1;
  if (!Number.isInteger(fanOut) || fanOut < 1) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `fanOut must be an integer ≥ 1, got ${fanOut}`);
  const offsetUs = (opts.fanOutOffsetMs ?? 250) * 1000;
  const batchMs = opts.batchMs ?? 100;
  const topics: TopicMap = { ...DEFAULT_TOPICS, ...opts.topics };
  const brokers = opts.brokers ?? defaultBrokers();
  const issues = new IssueLog();
  const result: ReplayResult = { records: { can: 0, metrics: 0, spans: 0, logs: 0, releases: 0 }, frames: 0, droppedFrames: 0, logsSampledOut: 0, bytes: 0, inputErrors: 0, issues: [], sink: null, elapsedMs: 0, eventSpanMs: 0, eventStartMs: null, decode: null, registeredVehicles: 0, outOfOrderFrames: 0, pacingGapsSkipped: 0 };
  if (opts.candumpTime) sources = sources.map((s) => (s.type === 'candump' && !s.time ? { ...s, time: opts.candumpTime } : s));

  const encoder: RecordEncoder = opts.dryRun ? createOfflineEncoder(topics) : await createRecordEncoder(opts.registryUrl ?? defaultRegistryUrl(), topics);
  const vehiclesTopic = vehicles.length === 0 ? null : opts.vehiclesTopic !== undefined ? opts.vehiclesTopic : opts.topics ? null : Topics.vehicles;
  const encodeVehicle = vehiclesTopic ? await vehicleEncoder(vehiclesTopic, { registryUrl: opts.registryUrl ?? defaultRegistryUrl(), offline: !!opts.dryRun }) : null;
  let sink: KafkaSink | null = opts.sink ?? null;
  const ownSink = !opts.sink && !opts.dryRun;
  if (ownSink) {
    if (opts.ensureTopics ?? true) await ensureTopics(brokers, topics, !!opts.spoolDir, vehiclesTopic ? [vehiclesTopic] : []);
    sink = new KafkaSink({ brokers, ...(opts.spoolDir ? { spoolDir: opts.spoolDir } : {}), ...(opts.spoolMaxBytes ? { spoolMaxBytes: opts.spoolMaxBytes } : {}) });
    await sink.start();
  }

  const batcher = new CanBatcher({ batchMs, bitrateBps: opts.bitrateBps ?? null, ...(opts.bitrateByBus ? { bitrateByBus: opts.bitrateByBus } : {}) });
  const cap = new BandwidthCap(opts.bandwidthBps ?? 0);
  const sampler = new LogSampler(seedrandom(String(opts.seed ?? 1)));
  const rateGauge = new SamplingRateGauge();
  const sampleLogs = opts.sampleLogs ?? true;
  const decoder = opts.dbc && opts.dbc.length > 0 ? new SignalDecoder(opts.dbc, opts.signalIntervalMs ?? 1000) : null;

  const emit = async (kind: RecordKind | 'can', key: string, value: unknown): Promise<void> => {
    opts.onRecord?.(topics[kind], key, value);
    const bytes = encoder.encode(kind, value);
    result.records[kind]++;
    result.bytes += bytes.length;
    producerMetrics.recordsEncoded.inc({ topic: topics[kind] });
    if (sink) await sink.send(topics[kind], key, bytes);
  };
  const emitRecord = async (r: TaggedRecord): Promise<void> => {
    if (r.kind === 'metrics' && r.value.name === 'can_bus_error_rate' && r.value.value !== null) sampler.observeErrorRate(r.value.vehicleId, r.value.value);
    if (r.kind === 'logs' && sampleLogs) {
      const rate = sampler.decide(r.value.vehicleId, r.value.level);
      rateGauge.track(r.value.vehicleId, sampler.rateOf(r.value.vehicleId));
      if (rate === null) {
        result.logsSampledOut++;
        producerMetrics.logsSampledOut.inc();
        return;
      }
      r = { kind: 'logs', value: { ...r.value, samplingRate: rate } };
    }
    await emit(r.kind, recordKey(r), r.value);
  };

  if (vehiclesTopic && encodeVehicle) {
    for (const v of vehicles) {
      opts.onRecord?.(vehiclesTopic, v.vehicleId, v);
      const bytes = encodeVehicle(v);
      result.registeredVehicles++;
      result.bytes += bytes.length;
      producerMetrics.recordsEncoded.inc({ topic: vehiclesTopic });
      if (sink) await sink.send(vehiclesTopic, v.vehicleId, bytes);
    }
  }

  let firstUs: number | null = null;
  let lastUs = 0;
  // Pacing maps event time to wall time from this origin; a skipped gap moves it.
  let paceFromUs = 0;
  let paceFromMs = started;
  const maxPacedWaitMs = opts.maxPacedWaitMs ?? MAX_PACED_WAIT_MS;
  let nextFlushUs = 0;
  let lastProgress = 0;
  const progress = (): void => {
    opts.onProgress?.({ records: Object.values(result.records).reduce((a, b) => a + b, 0), frames: result.frames, eventTimeMs: Math.floor(lastUs / 1000), fraction: span ? Math.min(1, Math.max(0, (lastUs - span.startUs) / span.spanUs)) : null });
  };

  for await (const item of mergeSources(sources, issues) as AsyncGenerator<TimedItem>) {
    if (firstUs === null) paceFromUs = firstUs = item.tUs;
    if (Number.isFinite(speed) && item.tUs > lastUs && (item.tUs - Math.max(lastUs, firstUs)) / 1000 / speed > maxPacedWaitMs) {
      result.pacingGapsSkipped++;
      paceFromUs = item.tUs;
      paceFromMs = clock.nowMs();
    }
    lastUs = Math.max(lastUs, item.tUs);
    if (Number.isFinite(speed)) {
      const dueMs = paceFromMs + (item.tUs - paceFromUs) / 1000 / speed;
      const wait = dueMs - clock.nowMs();
      if (wait > 5) {
        await sink?.flush();
        await clock.sleep(wait);
      }
    }
    if (item.kind === 'can') {
      for (let k = 0; k < fanOut; k++) {
        const vid = cloneVehicleId(item.vehicleId, k);
        const f = cloneFrame(item.frame, k, offsetUs);
        result.frames++;
        producerMetrics.framesRead.inc();
        if (!batcher.accepts(vid, f)) {
          result.outOfOrderFrames++;
          producerMetrics.framesDropped.inc({ reason: 'out_of_order' });
          continue;
        }
        if (!cap.admit(vid, f.timestampUs, frameCostBytes(f.data.length))) {
          batcher.noteDropped(vid, f.iface);
          result.droppedFrames++;
          producerMetrics.framesDropped.inc({ reason: 'bandwidth' });
          continue;
        }
        const closed = batcher.add(vid, f);
        if (closed) await emit('can', closed.vehicleId, closed);
        if (decoder) {
          const d = decoder.decode(vid, f);
          if (d.status === 'decoded') producerMetrics.framesDecoded.inc();
          else if (d.status !== 'not_data') producerMetrics.framesUndecoded.inc({ reason: d.status });
          for (const m of d.points) await emit('metrics', vid, m);
        }
      }
    } else {
      for (let k = 0; k < fanOut; k++) {
        const r = cloneRecord(item.record, k, offsetUs, fanOut);
        if (r) await emitRecord(r);
      }
    }
    if (item.tUs >= nextFlushUs) {
      for (const b of batcher.flush(item.tUs)) await emit('can', b.vehicleId, b);
      nextFlushUs = item.tUs + batchMs * 1000;
    }
    if (opts.onProgress && clock.nowMs() - lastProgress > 250) {
      lastProgress = clock.nowMs();
      progress();
    }
  }
  for (const b of batcher.flush()) await emit('can', b.vehicleId, b);
  if (sink) {
    await sink.flush();
    if (ownSink) {
      await sink.waitDrained(opts.drainTimeoutMs ?? 30_000);
      result.sink = sink.stats();
      await sink.close();
    } else {
      result.sink = sink.stats();
    }
  }
  result.inputErrors = issues.count;
  result.issues = issues.format();
  producerMetrics.inputErrors.inc({ source: 'replay' }, issues.count);
  result.elapsedMs = clock.nowMs() - started;
  result.eventSpanMs = firstUs === null ? 0 : Math.round((lastUs - firstUs) / 1000);
  result.decode = decoder?.stats() ?? null;
  result.eventStartMs = firstUs === null ? null : Math.floor(firstUs / 1000);
  progress();
  return result;
}

/** Creates the producer's topics that do not exist yet (catalog partitions and cleanup policy); `registry` names vehicle registry topics. */
export async function ensureTopics(brokers: string[], topics: TopicMap, tolerateDown: boolean, registry: readonly string[] = []): Promise<void> {
  const kafka = createKafka('fmeaflow-producer-admin', brokers, 2, true, { connectionTimeout: 1500, retry: { retries: 2, initialRetryTime: 100 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    if (tolerateDown) return; // spooling: topics are created on a later run
    throw new FmeaflowError(ErrorCodes.BROKER_UNREACHABLE, `Kafka broker ${brokers.join(',')} is unreachable (${(err as Error).message}); set KAFKA_BROKERS, pass --spool-dir to store and forward, or start the local stack: npx tsx streams/cli.ts stack up`, { retriable: true, cause: err });
  }
  try {
    const specs = (Object.keys(topics) as (keyof TopicMap)[]).map((k) => {
      const base = TOPIC_SPECS.find((s) => s.name === DEFAULT_TOPICS[k])!;
      return { ...base, name: topics[k] };
    });
    const registrySpec = TOPIC_SPECS.find((s) => s.name === Topics.vehicles)!;
    for (const name of registry) specs.push({ ...registrySpec, name });
    await provisionTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
}
