/**
 * Simulated UDS (ISO 14229) diagnostic traffic between an off-board tester and the ECUs:
 * physical requests to 0x7E0-0x7E7 (functional 0x7DF), responses at request id + 8, in
 * ISO-TP frames with flow control for multi-frame answers, positive responses (SID+0x40),
 * 0x7F negative responses with an NRC, and 0x78 responsePending before slow answers.
 */
import type { CanFrame } from '../can-frame.ts';
import { flowControl, segment } from './isotp.ts';
import type { Rng } from './rng.ts';

/** Functional (broadcast) request id. */
export const UDS_FUNCTIONAL_ID = 0x7df;
/** Negative response SID. */
export const UDS_NEGATIVE = 0x7f;
/** NRC requestCorrectlyReceived-ResponsePending. */
export const NRC_RESPONSE_PENDING = 0x78;

/** Named NRCs used by the simulator. */
export const NRC = { conditionsNotCorrect: 0x22, requestOutOfRange: 0x31, generalProgrammingFailure: 0x72, responsePending: 0x78 } as const;

/** Outcome of one exchange, for metrics and logs. */
export interface UdsOutcome {
  sid: number;
  ecuIndex: number;
  /** Final reply: positive, or negative with its NRC (0x78 pending is not final). */
  negativeNrc: number | null;
  pending: boolean;
  frames: CanFrame[];
  endUs: number;
}

/** A stored DTC: 3-byte code and status byte (bit0 testFailed, bit3 confirmedDTC, …). */
export interface Dtc { code: number; status: number }

/** What the tester asks for. */
export type UdsRequestKind = 'readVin' | 'readSwVersion' | 'readDtc' | 'testerPresent' | 'routineCheck';

const REQUESTS: Record<UdsRequestKind, number[]> = {
  readVin: [0x22, 0xf1, 0x90],
  readSwVersion: [0x22, 0xf1, 0x89],
  readDtc: [0x19, 0x02, 0xff],
  testerPresent: [0x3e, 0x00],
  routineCheck: [0x31, 0x01, 0xff, 0x01],
};

function positive(kind: UdsRequestKind, vin: string, dtcs: readonly Dtc[]): number[] {
  switch (kind) {
    case 'readVin': return [0x62, 0xf1, 0x90, ...Buffer.from(vin.padEnd(17, '0').slice(0, 17), 'ascii')];
    case 'readSwVersion': return [0x62, 0xf1, 0x89, ...Buffer.from('SW0203', 'ascii')];
    case 'readDtc': return [0x59, 0x02, 0xff, ...dtcs.flatMap((d) => [(d.code >> 16) & 0xff, (d.code >> 8) & 0xff, d.code & 0xff, d.status])];
    case 'testerPresent': return [0x7e, 0x00];
    case 'routineCheck': return [0x71, 0x01, 0xff, 0x01, 0x00];
  }
}

/** Options of one exchange. */
export interface UdsExchangeInput {
  kind: UdsRequestKind;
  ecuIndex: number;
  functional: boolean;
  startUs: number;
  iface: string;
  vin: string;
  dtcs: readonly Dtc[];
  /** Final NRC to answer with, or null for a positive response. */
  negativeNrc: number | null;
  /** Send 0x78 responsePending before the final answer. */
  pending: boolean;
}

function frame(iface: string, id: number, t: number, data: Buffer): CanFrame {
  return { timestampUs: Math.round(t), iface, id, extended: false, fd: false, brs: false, esi: false, rtr: false, error: false, dlc: data.length, data };
}

/** Builds the frames of one request/response exchange with realistic ECU timing. */
export function udsExchange(x: UdsExchangeInput, rng: Rng): UdsOutcome {
  const req = REQUESTS[x.kind];
  const reqId = x.functional ? UDS_FUNCTIONAL_ID : 0x7e0 + x.ecuIndex;
  const resId = 0x7e8 + x.ecuIndex;
  const frames: CanFrame[] = [];
  let t = x.startUs;
  frames.push(frame(x.iface, reqId, t, segment(req)[0]!));
  t += rng.range(3_000, 25_000);
  if (x.pending) {
    frames.push(frame(x.iface, resId, t, segment([UDS_NEGATIVE, req[0]!, NRC_RESPONSE_PENDING])[0]!));
    t += rng.range(80_000, 400_000);
  }
  const payload = x.negativeNrc !== null ? [UDS_NEGATIVE, req[0]!, x.negativeNrc] : positive(x.kind, x.vin, x.dtcs);
  const segs = segment(payload);
  frames.push(frame(x.iface, resId, t, segs[0]!));
  if (segs.length > 1) {
    // Tester sends flow control on the physical request id, then the ECU streams CFs.
    t += rng.range(500, 2_000);
    frames.push(frame(x.iface, 0x7e0 + x.ecuIndex, t, flowControl(0)));
    for (const cf of segs.slice(1)) {
      t += rng.range(500, 1_500);
      frames.push(frame(x.iface, resId, t, cf));
    }
  }
  return { sid: req[0]!, ecuIndex: x.ecuIndex, negativeNrc: x.negativeNrc, pending: x.pending, frames, endUs: Math.round(t) };
}
