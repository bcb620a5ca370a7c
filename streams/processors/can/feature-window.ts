/**
 * Accumulating one vehicle + bus + event-time window of CAN frames into the numbers behind
 * the feature vector, and turning them into the vector when the window closes. Two pieces
 * of state: the window accumulator (dies with the window) and the link state (lives across
 * windows: last arrival per id for jitter, usual DLC per id, open diagnostic requests and
 * ISO-TP reassemblies, the diagnostic latency baseline, the learned schedule). Both are plain
 * JSON for changelogs.
 *
 * Periodic traffic is judged against a schedule: the configured one of the vehicle's model
 * (network file or DBC) or, for a vehicle nobody configured, the one it is learned to send.
 * Learning watches the link's first `learnWindows` windows of event time: an id whose
 * inter-arrival times are regular (coefficient of variation ≤ 0.5) and which was present over
 * the learning time gets its mean gap as period and its usual DLC; diagnostic (UDS) ids are
 * request-driven and never learned. A window that closes before learning ends leaves the
 * schedule-based features missing rather than guessed.
 */
import type { CanFrame } from './can-batch.ts';
import { CAN_FEATURE_DIMENSIONS, type CanFeatureDimension } from './feature-dimensions.ts';
import { frameBits } from './frame-bits.ts';
import type { BusSchedule } from './can-network.ts';
import { DTC_ACTIVE_MASK, isUdsRequestId, isUdsResponseId, parseIsoTp, parseUdsResponse, reassemble, UDS_FUNCTIONAL_ID, type IsoTpReassembly } from './uds.ts';

export interface CanFeatureConfig {
  /** Window length (default 10 000 ms). */
  readonly windowMs: number;
  /** Used when a batch has no bitrateBps and the bus is not in bitrateByBus (default 500 kbit/s). */
  readonly defaultBitrateBps: number;
  readonly bitrateByBus?: Readonly<Record<string, number>>;
  /** CAN FD data-phase bitrate for BRS frames (default 2 Mbit/s). */
  readonly fdDataBitrateBps: number;
  /** Expected cycle time per arbitration id (from the DBC's GenMsgCycleTime). */
  readonly cycleTimesMs: ReadonlyMap<number, number>;
  /** Expected DLC per id (from the DBC); ids not listed use the DLC most often seen. */
  readonly expectedDlc?: ReadonlyMap<number, number>;
  /** Frames of an id needed before its usual DLC is trusted (default 5). */
  readonly minDlcSamples: number;
  /** EWMA weight of a window's mean latency in the baseline (default 0.2). */
  readonly latencyBaselineAlpha: number;
  /** Requests unanswered this long are forgotten (default 5 000 ms; P2* is typically 5 s). */
  readonly requestTimeoutMs: number;
  /** Windows of event time a link without a configured schedule learns from before it is judged (default 3). */
  readonly learnWindows: number;
  /** Arbitration ids one link keeps state for (last arrival, DLC histogram, learning); later new ids are only counted (default 512). */
  readonly maxIdsPerLink: number;
}

export const DEFAULT_CAN_FEATURE_CONFIG: CanFeatureConfig = {
  windowMs: 10_000, defaultBitrateBps: 500_000, fdDataBitrateBps: 2_000_000, cycleTimesMs: new Map(), minDlcSamples: 5,
  latencyBaselineAlpha: 0.2, requestTimeoutMs: 5_000, learnWindows: 3, maxIdsPerLink: 512,
};

/** Inter-arrival statistics of one id while a link learns its schedule. */
export interface LearningId { n: number; gapN: number; gapSum: number; gapSq: number }

/** A link's schedule being learned: since when (event time), the time its batches covered, per-id statistics. */
export interface ScheduleLearning { startMs: number; coveredMs: number; ids: Record<string, LearningId> }

/** What a link normally sends, learned from its first windows: id key → period (ms) and DLC. */
export interface LearnedSchedule { periodMs: Record<string, number>; dlc: Record<string, number> }

export interface WindowAcc {
  vehicleId: string;
  bus: string;
  startMs: number;
  endMs: number;
  bitrateBps: number;
  /** CAN FD data-phase bitrate of the bus when configured; otherwise the processor's default. */
  dataBitrateBps?: number;
  coveredMs: number;
  frames: number;
  errorFrames: number;
  dataFrames: number;
  dlcMismatch: number;
  /** DLC mismatches per id key, for the worst id's collision share. */
  mismatchById: Record<string, number>;
  bitsActual: number;
  bitsWorst: number;
  countsById: Record<string, number>;
  jitterSum: number;
  jitterN: number;
  udsRequests: number;
  finalResponses: number;
  negatives: number;
  latencySum: number;
  latencyN: number;
  dtcReports: number;
  dtcActive: number;
  dtcCodes: string[];
  byteHist: number[];
  payloadBytes: number;
  droppedFrames: number;
}

export interface LinkState {
  lastTsUs: Record<string, number>;
  dlcHist: Record<string, Record<string, number>>;
  /** Open requests: responder index 0–7 or 'f' (functional) → request time ms. */
  pending: Record<string, number>;
  isotp: Record<string, IsoTpReassembly>;
  latencyBaselineMs: number | null;
  /** Ids with an entry in lastTsUs (bounded by maxIdsPerLink); absent in state written before the bound. */
  idCount?: number;
  /** Present while the link learns its schedule (no configured schedule, not learned yet). */
  learning?: ScheduleLearning;
  learned?: LearnedSchedule;
}

/** A fresh accumulator. */
export function newWindow(vehicleId: string, bus: string, startMs: number, windowMs: number, bitrateBps: number, dataBitrateBps?: number): WindowAcc {
  return {
    vehicleId, bus, startMs, endMs: startMs + windowMs, bitrateBps, ...(dataBitrateBps !== undefined ? { dataBitrateBps } : {}), coveredMs: 0, frames: 0, errorFrames: 0, dataFrames: 0, dlcMismatch: 0, mismatchById: {},
    bitsActual: 0, bitsWorst: 0, countsById: {}, jitterSum: 0, jitterN: 0, udsRequests: 0, finalResponses: 0, negatives: 0,
    latencySum: 0, latencyN: 0, dtcReports: 0, dtcActive: 0, dtcCodes: [], byteHist: new Array<number>(256).fill(0), payloadBytes: 0, droppedFrames: 0,
  };
}

/** A fresh link state. */
export function newLinkState(): LinkState {
  return { lastTsUs: {}, dlcHist: {}, pending: {}, isotp: {}, latencyBaselineMs: null };
}

function usualDlc(hist: Record<string, number> | undefined, min: number): number | undefined {
  if (!hist) return undefined;
  // Fast path: one DLC seen so far (the normal case).
  let only: string | undefined;
  for (const d in hist) { if (only !== undefined) { only = undefined; break; } only = d; }
  if (only !== undefined) return hist[only]! >= min ? Number(only) : undefined;
  let best: number | undefined;
  let bestN = 0;
  let total = 0;
  for (const [d, n] of Object.entries(hist)) {
    total += n;
    if (n > bestN) { bestN = n; best = Number(d); }
  }
  return total >= min ? best : undefined;
}

/** Adds one frame to its window and the link state (both mutated: they are this record's private copies). */
export function addFrame(acc: WindowAcc, link: LinkState, f: CanFrame, cfg: CanFeatureConfig, schedule?: BusSchedule): void {
  const tMs = f.timestampUs / 1000;
  acc.frames++;
  const bits = frameBits(f, acc.bitrateBps, acc.dataBitrateBps ?? cfg.fdDataBitrateBps);
  acc.bitsActual += bits.actual;
  acc.bitsWorst += bits.worst;
  if (f.error) { acc.errorFrames++; return; }
  const key = String(f.extended ? f.id + 0x80000000 : f.id);
  acc.countsById[key] = (acc.countsById[key] ?? 0) + 1;

  const last = link.lastTsUs[key];
  // Hostile or unknown buses may carry any of 2^29 ids: per-id link state stops growing at the bound.
  const tracked = last !== undefined || (link.idCount ??= Object.keys(link.lastTsUs).length) < cfg.maxIdsPerLink;
  const cycle = schedule ? (f.extended ? undefined : schedule.cycleTimesMs.get(f.id)) : link.learned?.periodMs[key];
  if (cycle !== undefined && last !== undefined) {
    const delta = (f.timestampUs - last) / 1000;
    // Gaps longer than a few cycles are missing frames (their own feature), not jitter.
    if (delta > 0 && delta < 3 * cycle) { acc.jitterSum += Math.abs(delta - cycle) / cycle; acc.jitterN++; }
  }
  if (tracked) {
    if (last === undefined) link.idCount = (link.idCount ?? 0) + 1;
    if (link.learning && !isUdsRequestId(f.id) && !isUdsResponseId(f.id)) learnGap(link.learning, key, last, f.timestampUs);
    link.lastTsUs[key] = f.timestampUs;
  }

  if (!f.rtr) {
    acc.dataFrames++;
    const configured = schedule && !f.extended ? schedule.expectedDlc?.get(f.id) : undefined;
    const expected = configured ?? link.learned?.dlc[key] ?? usualDlc(link.dlcHist[key], cfg.minDlcSamples);
    if (expected !== undefined && expected !== f.dlc) {
      acc.dlcMismatch++;
      acc.mismatchById[key] = (acc.mismatchById[key] ?? 0) + 1;
    }
    const hist = tracked ? (link.dlcHist[key] ??= {}) : {};
    // Counts saturate so the usual DLC can still change after a long run, and the numbers stay small.
    if ((hist[f.dlc] = (hist[f.dlc] ?? 0) + 1) > 1_000_000) for (const d of Object.keys(hist)) hist[d] = Math.ceil(hist[d]! / 2);
    for (let i = 0; i < f.data.length; i++) acc.byteHist[f.data[i]!]!++;
    acc.payloadBytes += f.data.length;
  }
  if (f.extended || f.rtr) return;

  if (isUdsRequestId(f.id)) {
    const tp = parseIsoTp(f.data);
    if (tp.type === 'single' || tp.type === 'first') {
      acc.udsRequests++;
      link.pending[f.id === UDS_FUNCTIONAL_ID ? 'f' : String(f.id - 0x7e0)] = tMs;
    }
  } else if (isUdsResponseId(f.id)) {
    const idx = String(f.id - 0x7e8);
    const tp = parseIsoTp(f.data);
    if (tp.type === 'flow' || tp.type === 'invalid') return;
    const r = reassemble(link.isotp[idx], tp, tMs);
    if (r.partial) link.isotp[idx] = r.partial;
    else delete link.isotp[idx];
    if (!r.done) return;
    const resp = parseUdsResponse(r.done.payload);
    if (!resp || resp.kind === 'pending') return; // 0x78: the ECU asks for more time; the request stays open
    acc.finalResponses++;
    if (resp.kind === 'negative') acc.negatives++;
    const reqAt = link.pending[idx] ?? link.pending['f'];
    if (reqAt !== undefined && r.done.startMs >= reqAt && r.done.startMs - reqAt <= cfg.requestTimeoutMs) {
      acc.latencySum += r.done.startMs - reqAt;
      acc.latencyN++;
    }
    delete link.pending[idx];
    if (resp.kind === 'positive' && resp.isDtcReport) {
      acc.dtcReports++;
      for (const d of resp.dtcs) {
        if ((d.status & DTC_ACTIVE_MASK) === 0) continue;
        acc.dtcActive++;
        if (!acc.dtcCodes.includes(d.code) && acc.dtcCodes.length < 50) acc.dtcCodes.push(d.code);
      }
    }
  }
}

/** Shannon entropy in bits per byte of a byte histogram. */
export function byteEntropy(hist: readonly number[]): number | undefined {
  let n = 0;
  for (const c of hist) n += c;
  if (n === 0) return undefined;
  let h = 0;
  for (const c of hist) if (c > 0) { const p = c / n; h -= p * Math.log2(p); }
  return h;
}

export interface FinishedWindow {
  readonly features: Partial<Record<CanFeatureDimension, number>>;
  readonly missing: CanFeatureDimension[];
  readonly latencyBaselineMs: number | null;
}

/** Computes the feature vector of a closed window and the updated latency baseline; `schedule` is the configured one, if any. */
export function finishWindow(acc: WindowAcc, link: Pick<LinkState, 'latencyBaselineMs' | 'learned'>, cfg: CanFeatureConfig, schedule?: BusSchedule): FinishedWindow {
  const f: Partial<Record<CanFeatureDimension, number>> = {};
  const secs = acc.coveredMs / 1000;
  if (secs > 0) {
    f.frames_per_s = acc.frames / secs;
    f.bus_load_actual = acc.bitsActual / (acc.bitrateBps * secs);
    f.bus_load_worst = acc.bitsWorst / (acc.bitrateBps * secs);
    f.dtc_reports_per_s = acc.dtcReports / secs;
    f.dtc_active_per_s = acc.dtcActive / secs;
    let expected = 0;
    let missing = 0;
    const periods: Iterable<readonly [number | string, number]> = schedule ? schedule.cycleTimesMs : Object.entries(link.learned?.periodMs ?? {});
    for (const [id, cycle] of periods) {
      const exp = Math.floor(acc.coveredMs / cycle);
      expected += exp;
      missing += Math.max(0, exp - (acc.countsById[String(id)] ?? 0));
    }
    if (expected > 0) f.missing_periodic_share = missing / expected;
  }
  if (acc.jitterN > 0) f.cycle_jitter_ratio = acc.jitterSum / acc.jitterN;
  if (acc.frames > 0) f.error_frame_share = acc.errorFrames / acc.frames;
  if (acc.dataFrames > 0) f.dlc_mismatch_share = acc.dlcMismatch / acc.dataFrames;
  if (acc.dataFrames > 0) f.id_collision_share = worstIdCollisionShare(acc);
  f.uds_request_count = acc.udsRequests;
  // No diagnostic traffic means no negative responses; 0 keeps such windows comparable in clustering.
  f.nrc_share = acc.finalResponses > 0 ? acc.negatives / acc.finalResponses : 0;
  let baseline = link.latencyBaselineMs;
  if (acc.latencyN > 0) {
    const mean = acc.latencySum / acc.latencyN;
    f.diag_latency_mean_ms = mean;
    if (baseline !== null) f.diag_latency_offset_ms = mean - baseline;
    baseline = baseline === null ? mean : baseline + cfg.latencyBaselineAlpha * (mean - baseline);
  }
  const h = byteEntropy(acc.byteHist);
  if (h !== undefined) f.payload_entropy_bits = h;
  const missingDims = CAN_FEATURE_DIMENSIONS.filter((d) => f[d] === undefined);
  return { features: f, missing: missingDims, latencyBaselineMs: baseline };
}

/** Gaps an id needs before its period can be learned. */
const MIN_LEARN_GAPS = 5;

function learnGap(l: ScheduleLearning, key: string, lastUs: number | undefined, tUs: number): void {
  const s = (l.ids[key] ??= { n: 0, gapN: 0, gapSum: 0, gapSq: 0 });
  s.n++;
  if (lastUs === undefined || tUs <= lastUs) return;
  const gap = (tUs - lastUs) / 1000;
  // Once a period shows, a gap of several periods is missed frames, not the period.
  if (s.gapN >= MIN_LEARN_GAPS && gap > 4 * (s.gapSum / s.gapN)) return;
  s.gapN++;
  s.gapSum += gap;
  s.gapSq += gap * gap;
}

/** The schedule learned so far: regular ids present over most of the learning time, with their usual DLC. */
export function learnedSchedule(l: ScheduleLearning, link: Pick<LinkState, 'dlcHist'>, cfg: Pick<CanFeatureConfig, 'minDlcSamples'>): LearnedSchedule {
  const out: LearnedSchedule = { periodMs: {}, dlc: {} };
  for (const [key, s] of Object.entries(l.ids)) {
    if (s.gapN < MIN_LEARN_GAPS) continue;
    const mean = s.gapSum / s.gapN;
    const sd = Math.sqrt(Math.max(0, s.gapSq / s.gapN - mean * mean));
    // Event-driven ids (bursts, rare messages) are irregular or absent for much of the time.
    if (sd > 0.5 * mean || s.n * mean < 0.5 * l.coveredMs) continue;
    out.periodMs[key] = mean;
    const dlc = usualDlc(link.dlcHist[key], cfg.minDlcSamples);
    if (dlc !== undefined) out.dlc[key] = dlc;
  }
  return out;
}

/**
 * Credits a batch's time to a learning link (mutates `link`) and, once `learnWindows` windows
 * of event time have passed since learning started, keeps what it learned.
 */
export function advanceLearning(link: LinkState, batchStartMs: number, batchEndMs: number, cfg: CanFeatureConfig): void {
  const l = link.learning;
  if (!l) return;
  l.coveredMs += Math.max(0, batchEndMs - batchStartMs);
  if (batchEndMs - l.startMs < cfg.learnWindows * cfg.windowMs) return;
  link.learned = learnedSchedule(l, link, cfg);
  delete link.learning;
}

/** Ids need this many frames in a window before their share counts (one stray frame is not a 100% share). */
const MIN_FRAMES_PER_ID = 10;

/**
 * Share of the worst id's frames that collided or came with a foreign DLC. A reflection hits
 * one harness, so a vehicle-wide share dilutes it by every healthy id on the bus.
 */
export function worstIdCollisionShare(acc: Pick<WindowAcc, 'countsById' | 'mismatchById'>): number {
  let worst = 0;
  for (const [key, bad] of Object.entries(acc.mismatchById)) {
    const n = acc.countsById[key] ?? 0;
    if (n >= MIN_FRAMES_PER_ID) worst = Math.max(worst, bad / n);
  }
  return worst;
}
