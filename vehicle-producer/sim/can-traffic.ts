/**
 * The CAN side of one simulated vehicle: cyclic DBC messages at their cycle times with
 * jitter, UDS diagnostic exchanges, background error frames, and the CAN-level effects
 * of the can-timeout, harness-reflection and bootloader-check-fail faults. Returns the
 * frames plus the per-event facts (drops, timeouts, diagnostic outcomes) that metrics
 * and logs are derived from.
 */
import { CAN_ERR_FLAG, type CanFrame } from '../can-frame.ts';
import { encodeMessage } from '../dbc/signal-codec.ts';
import { buildMessageModel } from './signal-roles.ts';
import { stateAt, type VehicleState } from './vehicle-dynamics.ts';
import { streamRng } from './rng.ts';
import { udsExchange, NRC, type Dtc, type UdsOutcome, type UdsRequestKind } from './uds.ts';
import type { ScheduledMessage } from './fleet-model.ts';
import { FAULT_DEFAULTS, type FaultSpec, type Scenario } from './scenario.ts';

/** Bus-level facts the rest of the simulation needs. */
export interface CanTrafficResult {
  frames: CanFrame[];
  /** Times (µs) of events counted as bus errors: error frames, missed cyclic frames, DLC mismatches, collisions. */
  errorEventsUs: number[];
  /** Gateway supervision timeouts: when the timeout fired, for which id, after how long. */
  timeouts: { atUs: number; canId: number; afterMs: number }[];
  diag: UdsOutcome[];
}

/** Vehicle-level inputs of the CAN simulation. */
export interface CanVehicleInput {
  vehicleId: string;
  vin: string;
  messages: ScheduledMessage[];
  states: VehicleState[];
  dtcs: Dtc[];
  /** Faults active on this vehicle (already filtered by affected share). */
  faults: FaultSpec[];
}

function errorFrame(iface: string, tUs: number, cls: number, data: number[]): CanFrame {
  return { timestampUs: tUs, iface, id: cls & ~CAN_ERR_FLAG, extended: false, fd: false, brs: false, esi: false, rtr: false, error: true, dlc: 8, data: Buffer.from(data) };
}

/**
 * Seeded [start, end) µs spans in which a healthy vehicle loses its supervised heartbeat, one every
 * [min, max] s; each lasts `lossUs` (timeout plus one cycle), so exactly one supervision timeout fires.
 */
function sporadicLosses(sc: Scenario, vehicleId: string, [minS, maxS]: [number, number], lossUs: number): [number, number][] {
  const rng = streamRng(sc.seed, vehicleId, 'sporadic-timeouts');
  const endUs = (sc.baseTimeMs + sc.durationMs) * 1000;
  const out: [number, number][] = [];
  for (let t = sc.baseTimeMs * 1000 + rng.range(minS, maxS) * 1e6; t < endUs; t += rng.range(minS, maxS) * 1e6) out.push([t, t + lossUs]);
  return out;
}

/** Generates the CAN traffic of one vehicle for the whole drive. */
export function simulateCanTraffic(sc: Scenario, v: CanVehicleInput): CanTrafficResult {
  const t0 = sc.baseTimeMs * 1000;
  const endUs = t0 + sc.durationMs * 1000;
  const frames: CanFrame[] = [];
  const errorEventsUs: number[] = [];
  const timeouts: CanTrafficResult['timeouts'] = [];
  const timeout = v.faults.find((f) => f.kind === 'can-timeout');
  const harness = v.faults.find((f) => f.kind === 'harness-reflection');
  const boot = v.faults.find((f) => f.kind === 'bootloader-check-fail');
  if (timeout && !v.messages.some((m) => m.msg.frameId === timeout.params.canId)) {
    throw new RangeError(`can-timeout canId 0x${Number(timeout.params.canId).toString(16)} is not sent by vehicle ${v.vehicleId}`);
  }
  const victim = v.messages[0]!;
  const faultRng = streamRng(sc.seed, v.vehicleId, 'fault-can');
  // The gateway supervises the scenario's timeout id (0x2A3 by default) on every vehicle, so a healthy
  // vehicle's sporadic heartbeat losses raise the same timeout lines the fault raises, only rarely.
  const fleetTimeout = sc.faults.find((f) => f.kind === 'can-timeout')?.params ?? FAULT_DEFAULTS['can-timeout'];
  const sporadic = sc.telemetry.sporadicTimeoutIntervalS;
  const supervisedId = timeout ? Number(timeout.params.canId) : sporadic !== null ? Number(fleetTimeout.canId) : null;
  const supervisionMs = Number(timeout?.params.timeoutMs ?? fleetTimeout.timeoutMs);

  for (const sm of v.messages) {
    const rng = streamRng(sc.seed, v.vehicleId, 'msg', sm.msg.frameId);
    const model = buildMessageModel(sm.msg, rng);
    const cycleUs = sm.cycleMs * 1000;
    const phase = rng.range(0, cycleUs);
    const supervised = supervisedId === sm.msg.frameId;
    const losses = supervised && sporadic !== null ? sporadicLosses(sc, v.vehicleId, sporadic, (supervisionMs + sm.cycleMs) * 1000) : [];
    const rxUs: number[] = [];
    for (let k = 0; ; k++) {
      const nominal = t0 + phase + k * cycleUs;
      if (nominal >= endUs) break;
      const jitter = Math.max(-0.05, Math.min(0.05, rng.normal() * 0.01)) * cycleUs;
      const t = Math.round(nominal + jitter);
      const rel = (t - t0) / 1000;
      const data = encodeMessage(sm.msg, model.values(stateAt(v.states, rel), k));
      if (supervised && timeout && rel >= timeout.onsetMs && faultRng.chance(Number(timeout.params.dropProbability))) {
        errorEventsUs.push(t);
        continue;
      }
      if (losses.some(([a, b]) => t >= a && t < b)) {
        errorEventsUs.push(t);
        continue;
      }
      if (supervised) rxUs.push(t);
      let payload: Buffer = data;
      if (harness && sm === victim && rel >= harness.onsetMs && faultRng.chance(Number(harness.params.dlcMismatchShare))) {
        payload = data.subarray(0, Math.max(0, data.length - 3)); // reflections cut the frame: DLC below the DBC length
        errorEventsUs.push(t);
      }
      frames.push({ timestampUs: t, iface: sc.bus, id: sm.msg.frameId, extended: sm.msg.extended, fd: sm.msg.fd, brs: sm.msg.fd, esi: false, rtr: false, error: false, dlc: payload.length, data: Buffer.from(payload) });
    }
    if (supervised) {
      // Gateway supervision: a gap longer than the timeout fires once, timeout after the last frame received.
      const limitUs = supervisionMs * 1000;
      rxUs.push(endUs);
      for (let i = 1; i < rxUs.length; i++) {
        const at = rxUs[i - 1]! + limitUs;
        if (rxUs[i]! - rxUs[i - 1]! > limitUs && at < endUs) timeouts.push({ atUs: at, canId: sm.msg.frameId, afterMs: supervisionMs });
      }
    }
  }

  // Background error frames (Poisson): a healthy bus still sees the odd bit error.
  const bgRng = streamRng(sc.seed, v.vehicleId, 'bus-errors');
  const rate = sc.telemetry.baselineErrorFramesPerS;
  if (rate > 0) {
    for (let t = t0 - (Math.log(1 - bgRng.next()) / rate) * 1e6; t < endUs; t -= (Math.log(1 - bgRng.next()) / rate) * 1e6) {
      const tt = Math.round(t);
      frames.push(errorFrame(sc.bus, tt, CAN_ERR_FLAG | 0x08 | 0x80, [0, 0, 0x01, 0x0a, 0, 0, bgRng.int(0, 8), bgRng.int(0, 8)]));
      errorEventsUs.push(tt);
    }
  }

  if (harness) {
    const hr = streamRng(sc.seed, v.vehicleId, 'harness');
    const onset = t0 + harness.onsetMs * 1000;
    let tec = 8;
    const efRate = Number(harness.params.errorFramesPerS);
    for (let t = onset - (Math.log(1 - hr.next()) / efRate) * 1e6; efRate > 0 && t < endUs; t -= (Math.log(1 - hr.next()) / efRate) * 1e6) {
      tec = Math.min(255, tec + 8);
      const tt = Math.round(t);
      // CAN_ERR_PROT|CAN_ERR_BUSERROR (+CAN_ERR_CRTL once error-passive); data[2] type, data[3] location, [6..7] tx/rx counters.
      const cls = CAN_ERR_FLAG | 0x08 | 0x80 | (tec >= 128 ? 0x04 : 0);
      frames.push(errorFrame(sc.bus, tt, cls, [0, tec >= 128 ? 0x20 : 0, hr.pick([0x01, 0x02, 0x04]), hr.pick([0x08, 0x0a, 0x19]), 0, 0, tec, Math.min(255, tec + hr.int(0, 16))]));
      errorEventsUs.push(tt);
    }
    const colRate = Number(harness.params.collisionsPerS);
    for (let t = onset - (Math.log(1 - hr.next()) / colRate) * 1e6; colRate > 0 && t < endUs; t -= (Math.log(1 - hr.next()) / colRate) * 1e6) {
      // A reflected copy seen as a second sender on the same id with garbage payload.
      const tt = Math.round(t);
      const len = hr.int(1, 8);
      frames.push({ timestampUs: tt, iface: sc.bus, id: victim.msg.frameId, extended: victim.msg.extended, fd: false, brs: false, esi: false, rtr: false, error: false, dlc: len, data: Buffer.from(hr.hex(len), 'hex') });
      errorEventsUs.push(tt);
    }
  }

  // UDS diagnostics.
  const diag: UdsOutcome[] = [];
  const dr = streamRng(sc.seed, v.vehicleId, 'uds');
  const br = streamRng(sc.seed, v.vehicleId, 'uds-boot');
  let t = t0 + dr.range(200_000, sc.telemetry.diagIntervalMs * 1000);
  while (t < endUs) {
    const rel = (t - t0) / 1000;
    const bootActive = boot !== undefined && rel >= boot.onsetMs;
    let kind: UdsRequestKind;
    let nrc: number | null = null;
    let pending = false;
    let functional = false;
    const ecuIndex = bootActive ? 2 : dr.int(0, 3);
    const x = dr.next();
    if (bootActive) {
      const y = br.next();
      kind = y < 0.6 ? 'routineCheck' : y < 0.85 ? 'readSwVersion' : 'readDtc';
      if (br.chance(Number(boot.params.negativeShare))) nrc = kind === 'routineCheck' ? NRC.generalProgrammingFailure : NRC.conditionsNotCorrect;
      pending = kind === 'routineCheck' && br.chance(0.3);
    } else {
      kind = x < 0.3 ? 'readVin' : x < 0.5 ? 'readDtc' : x < 0.7 ? 'testerPresent' : x < 0.9 ? 'readSwVersion' : 'routineCheck';
      functional = (kind === 'readVin' || kind === 'testerPresent') && dr.chance(0.2);
      if (kind !== 'testerPresent' && dr.chance(0.03)) nrc = kind === 'routineCheck' ? NRC.conditionsNotCorrect : NRC.requestOutOfRange;
      pending = (kind === 'readSwVersion' || kind === 'routineCheck') && dr.chance(0.08);
    }
    const out = udsExchange({ kind, ecuIndex: functional ? 0 : ecuIndex, functional, startUs: Math.round(t), iface: sc.bus, vin: v.vin, dtcs: v.dtcs, negativeNrc: nrc, pending }, dr);
    for (const f of out.frames) if (f.timestampUs < endUs) frames.push(f);
    diag.push(out);
    const interval = bootActive ? Number(boot.params.diagIntervalMs) : sc.telemetry.diagIntervalMs;
    t = Math.max(out.endUs + 1000, t + interval * 1000 * dr.range(0.8, 1.2));
  }

  frames.sort((a, b) => a.timestampUs - b.timestampUs || a.id - b.id);
  errorEventsUs.sort((a, b) => a - b);
  timeouts.sort((a, b) => a.atUs - b.atUs);
  return { frames, errorEventsUs, timeouts, diag };
}
