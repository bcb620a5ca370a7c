/**
 * The CAN feature processor: per vehicle, bus and event-time window (default 10 s) it
 * accumulates frames from `vehicle.can.v1` and, when the watermark passes the window end,
 * publishes one feature vector with named dimensions to `fmeaflow.can-features.v1`.
 * Frames are windowed by their own timestamps (a batch may straddle two windows); the time
 * a batch covers is credited to the windows it overlaps, so rates use observed time.
 * Periodic traffic, DLCs and bitrates are judged against the vehicle's model's bus in the
 * configured CAN networks (the model from the fmeaflow.vehicles.v1 global table), else the
 * fleet-wide cycle times given, else the schedule the link is learned to send.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { Topics } from '../../topic-catalog.ts';
import type { FiredTimer, InputRecord, ProcessorContext, ProcessResult, Processor, ReadonlyStore, StoreUpdate, TimerRequest } from '../processor.ts';
import type { CanFrameBatch } from './can-batch.ts';
import { busNetworkOf, type BusSchedule, type CanNetworks } from './can-network.ts';
import { addFrame, advanceLearning, DEFAULT_CAN_FEATURE_CONFIG, finishWindow, newLinkState, newWindow, type CanFeatureConfig, type LinkState, type WindowAcc } from './feature-window.ts';

/** Value of `fmeaflow.can-features.v1` (schemas/can-feature-vector.avsc). */
export interface CanFeatureVector {
  readonly vehicleId: string;
  readonly bus: string;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly coveredMs: number;
  readonly frameCount: number;
  readonly bitrateBps: number;
  readonly features: Record<string, number>;
  readonly missingDimensions: string[];
  readonly dtcCodes: string[];
  readonly droppedFrames: number;
}

export interface CanFeaturesProcessorConfig extends Partial<CanFeatureConfig> {
  readonly name?: string;
  /** Buses per vehicle model (network file); vehicles of other models fall back to cycleTimesMs, then to a learned schedule. */
  readonly networks?: CanNetworks;
  /** Allowed lateness of batches (default 30 s: vehicles upload in bursts). */
  readonly allowedLatenessMs?: number;
}

type StoreValue = WindowAcc | LinkState;

const windowKey = (v: string, bus: string, start: number): string => `w|${v}|${bus}|${start}`;
const linkKey = (v: string, bus: string): string => `l|${v}|${bus}`;

/** Creates the CAN feature extraction processor. */
/** Longest batch interval accepted (batches are cut per producer interval, seconds long). */
export const MAX_BATCH_SPAN_MS = 10 * 60_000;

export function createCanFeaturesProcessor(config: CanFeaturesProcessorConfig = {}): Processor<StoreValue, CanFrameBatch> {
  const cfg: CanFeatureConfig = { ...DEFAULT_CAN_FEATURE_CONFIG, ...config };
  const w = cfg.windowMs;
  const networks = config.networks;
  const fleetWide: BusSchedule | undefined = cfg.cycleTimesMs.size > 0 || (cfg.expectedDlc?.size ?? 0) > 0 ? { cycleTimesMs: cfg.cycleTimesMs, ...(cfg.expectedDlc ? { expectedDlc: cfg.expectedDlc } : {}) } : undefined;
  const modelOf = (ctx: ProcessorContext | undefined, vehicleId: string): string | undefined => {
    if (!networks || !ctx) return undefined;
    const m = (ctx.globals.table<{ model?: unknown }>(Topics.vehicles).get(vehicleId))?.model;
    return typeof m === 'string' ? m : undefined;
  };
  const busOf = (ctx: ProcessorContext | undefined, vehicleId: string, bus: string) => busNetworkOf(networks, modelOf(ctx, vehicleId), bus);
  return {
    name: config.name ?? 'can-features',
    inputTopics: [Topics.can],
    outputTopics: [Topics.canFeatures],
    store: 'can-features',
    ...(networks ? { globalTopics: [Topics.vehicles] } : {}),
    allowedLatenessMs: config.allowedLatenessMs ?? 30_000,
    eventTimeMs: (b) => Math.floor(Number(b.batchStartUs) / 1000),
    process(store: ReadonlyStore<StoreValue>, record: InputRecord<CanFrameBatch>, ctx?: ProcessorContext): ProcessResult<StoreValue> {
      const b = record.value;
      // The batch interval is walked window by window below: an end far past the start (a corrupted or hostile
      // batch that still decodes) would cost a window per 10 s of the gap, millions for one record.
      const spanUs = Number(b.batchEndUs) - Number(b.batchStartUs);
      if (!(spanUs >= 0 && spanUs <= MAX_BATCH_SPAN_MS * 1000)) {
        throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `CAN batch of ${String(b.vehicleId).slice(0, 64)} spans ${spanUs} µs: batchEndUs must lie 0–${MAX_BATCH_SPAN_MS / 60_000} min after batchStartUs`, { details: { field: 'batchEndUs' } });
      }
      const net = busOf(ctx, b.vehicleId, b.bus);
      const schedule = net ?? fleetWide;
      const bitrate = b.bitrateBps ?? net?.bitrateBps ?? cfg.bitrateByBus?.[b.bus] ?? cfg.defaultBitrateBps;
      const lk = linkKey(b.vehicleId, b.bus);
      const stored = store.get(lk) as LinkState | undefined;
      const link: LinkState = stored ? structuredClone(stored) : newLinkState();
      const startMs = Number(b.batchStartUs) / 1000;
      const endMs = Number(b.batchEndUs) / 1000;
      if (schedule) delete link.learning;
      else if (!link.learned) link.learning ??= { startMs, coveredMs: 0, ids: {} };
      const windows = new Map<number, WindowAcc>();
      const timers: TimerRequest[] = [];
      const accFor = (start: number): WindowAcc => {
        let acc = windows.get(start);
        if (!acc) {
          const prev = store.get(windowKey(b.vehicleId, b.bus, start)) as WindowAcc | undefined;
          acc = prev ? structuredClone(prev) : newWindow(b.vehicleId, b.bus, start, w, bitrate, net?.dataBitrateBps);
          if (!prev) timers.push({ kind: 'event-time', id: `close|${b.vehicleId}|${b.bus}|${start}`, atMs: start + w, payload: { vehicleId: b.vehicleId, bus: b.bus, startMs: start } });
          windows.set(start, acc);
        }
        return acc;
      };
      for (let s = Math.floor(startMs / w) * w; s < endMs; s += w) {
        accFor(s).coveredMs += Math.min(endMs, s + w) - Math.max(startMs, s);
      }
      if (b.droppedFrames) accFor(Math.floor(startMs / w) * w).droppedFrames += Number(b.droppedFrames);
      for (const f of b.frames) {
        const t = Number(f.timestampUs) / 1000;
        addFrame(accFor(Math.floor(t / w) * w), link, { ...f, timestampUs: Number(f.timestampUs) }, cfg, schedule);
      }
      advanceLearning(link, startMs, endMs, cfg);
      for (const [k, t] of Object.entries(link.pending)) if (endMs - t > cfg.requestTimeoutMs) delete link.pending[k];
      const updates: StoreUpdate<StoreValue>[] = [{ key: lk, value: link }];
      for (const [s, acc] of windows) updates.push({ key: windowKey(b.vehicleId, b.bus, s), value: acc });
      return { updates, timers };
    },
    onTimer(store: ReadonlyStore<StoreValue>, timer: FiredTimer, ctx?: ProcessorContext): ProcessResult<StoreValue> {
      const p = timer.payload as { vehicleId?: string; bus?: string; startMs?: number } | undefined;
      if (!p?.vehicleId || p.bus === undefined || p.startMs === undefined) return {};
      const wk = windowKey(p.vehicleId, p.bus, p.startMs);
      const acc = store.get(wk) as WindowAcc | undefined;
      if (!acc) return {};
      const lk = linkKey(p.vehicleId, p.bus);
      const stored = store.get(lk) as LinkState | undefined;
      const link: LinkState = stored ? structuredClone(stored) : newLinkState();
      const schedule = busOf(ctx, p.vehicleId, p.bus) ?? fleetWide;
      const done = finishWindow(acc, link, cfg, schedule);
      link.latencyBaselineMs = done.latencyBaselineMs;
      const vector: CanFeatureVector = {
        vehicleId: acc.vehicleId, bus: acc.bus, windowStartMs: acc.startMs, windowEndMs: acc.endMs, coveredMs: acc.coveredMs, frameCount: acc.frames,
        bitrateBps: acc.bitrateBps, features: done.features as Record<string, number>, missingDimensions: done.missing, dtcCodes: acc.dtcCodes, droppedFrames: acc.droppedFrames,
      };
      return {
        updates: [{ key: wk, value: null }, { key: lk, value: link }],
        outputs: [{ topic: Topics.canFeatures, key: acc.vehicleId, value: vector }],
      };
    },
  };
}
