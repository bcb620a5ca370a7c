/**
 * UDS (ISO 14229) over ISO-TP (ISO 15765-2) on 11-bit ids, as much as the CAN features
 * need: which frames are diagnostic requests, reassembling responses (single, first and
 * consecutive frames), negative responses (0x7F) with responsePending (0x78) told apart, and
 * DTC records of ReadDTCInformation (0x59) with their status bits.
 */

export const UDS_FUNCTIONAL_ID = 0x7df;
export const NRC_RESPONSE_PENDING = 0x78;
export const SID_NEGATIVE_RESPONSE = 0x7f;
export const SID_READ_DTC_POSITIVE = 0x59;
/** DTC status bits that mean "this DTC is active": testFailed (bit 0) or confirmedDTC (bit 3). */
export const DTC_ACTIVE_MASK = 0x09;

/** True for a diagnostic request id (functional 0x7DF or physical 0x7E0–0x7E7). */
export function isUdsRequestId(id: number, extended = false): boolean {
  return !extended && (id === UDS_FUNCTIONAL_ID || (id >= 0x7e0 && id <= 0x7e7));
}

/** True for a physical response id 0x7E8–0x7EF. */
export function isUdsResponseId(id: number, extended = false): boolean {
  return !extended && id >= 0x7e8 && id <= 0x7ef;
}

export type IsoTpFrame =
  | { readonly type: 'single'; readonly payload: Uint8Array }
  | { readonly type: 'first'; readonly total: number; readonly payload: Uint8Array }
  | { readonly type: 'consecutive'; readonly seq: number; readonly payload: Uint8Array }
  | { readonly type: 'flow' }
  | { readonly type: 'invalid' };

/** Classifies one ISO-TP frame by its protocol control information. */
export function parseIsoTp(data: Uint8Array): IsoTpFrame {
  if (data.length === 0) return { type: 'invalid' };
  const pci = data[0]! >> 4;
  const low = data[0]! & 0x0f;
  switch (pci) {
    case 0: {
      // CAN FD escape: length 0 in the nibble, real length in byte 1.
      const len = low === 0 && data.length > 8 ? data[1]! : low;
      const off = low === 0 && data.length > 8 ? 2 : 1;
      if (len === 0 || off + len > data.length) return { type: 'invalid' };
      return { type: 'single', payload: data.subarray(off, off + len) };
    }
    case 1: {
      if (data.length < 2) return { type: 'invalid' };
      const total = (low << 8) | data[1]!;
      return total < 8 ? { type: 'invalid' } : { type: 'first', total, payload: data.subarray(2) };
    }
    case 2: return { type: 'consecutive', seq: low, payload: data.subarray(1) };
    case 3: return { type: 'flow' };
    default: return { type: 'invalid' };
  }
}

/** In-progress reassembly of a multi-frame response (plain data, kept in state). */
export interface IsoTpReassembly {
  readonly total: number;
  readonly bytes: number[];
  readonly nextSeq: number;
  readonly startMs: number;
}

/** Feeds a frame to a reassembly; returns the completed payload, the new partial state, or neither. */
export function reassemble(prev: IsoTpReassembly | undefined, frame: IsoTpFrame, tMs: number): { done?: { payload: Uint8Array; startMs: number }; partial?: IsoTpReassembly } {
  if (frame.type === 'single') return { done: { payload: frame.payload, startMs: tMs } };
  if (frame.type === 'first') return { partial: { total: frame.total, bytes: [...frame.payload], nextSeq: 1, startMs: tMs } };
  if (frame.type === 'consecutive' && prev && frame.seq === prev.nextSeq) {
    const bytes = [...prev.bytes, ...frame.payload];
    if (bytes.length >= prev.total) return { done: { payload: Uint8Array.from(bytes.slice(0, prev.total)), startMs: prev.startMs } };
    return { partial: { ...prev, bytes, nextSeq: (prev.nextSeq + 1) & 0x0f } };
  }
  return {}; // out-of-sequence CF drops the reassembly, as a receiver would
}

export type UdsResponse =
  | { readonly kind: 'positive'; readonly sid: number; readonly dtcs: readonly { code: string; status: number }[]; readonly isDtcReport: boolean }
  | { readonly kind: 'negative'; readonly requestSid: number; readonly nrc: number }
  | { readonly kind: 'pending'; readonly requestSid: number };

/** SAE J2012 text of a 2-byte DTC (e.g. 0x0A80 → P0A80). */
export function dtcCode(hi: number, mid: number): string {
  const letter = 'PCBU'[(hi >> 6) & 3]!;
  const d1 = (hi >> 4) & 3;
  const hex = (x: number, w: number) => x.toString(16).toUpperCase().padStart(w, '0');
  return `${letter}${d1}${hex(hi & 0x0f, 1)}${hex(mid, 2)}`;
}

/** Interprets a complete UDS response payload. */
export function parseUdsResponse(p: Uint8Array): UdsResponse | undefined {
  if (p.length === 0) return undefined;
  const sid = p[0]!;
  if (sid === SID_NEGATIVE_RESPONSE) {
    if (p.length < 3) return undefined;
    return p[2] === NRC_RESPONSE_PENDING ? { kind: 'pending', requestSid: p[1]! } : { kind: 'negative', requestSid: p[1]!, nrc: p[2]! };
  }
  if (sid < 0x40) return undefined;
  const dtcs: { code: string; status: number }[] = [];
  const isDtcReport = sid === SID_READ_DTC_POSITIVE;
  // Sub-functions that list DTCAndStatusRecords after the availability mask: 0x02, 0x0A, 0x0F, 0x13, 0x15, 0x17.
  if (isDtcReport && p.length >= 3 && [0x02, 0x0a, 0x0f, 0x13, 0x15, 0x17].includes(p[1]!)) {
    for (let i = 3; i + 4 <= p.length; i += 4) dtcs.push({ code: dtcCode(p[i]!, p[i + 1]!) + p[i + 2]!.toString(16).toUpperCase().padStart(2, '0'), status: p[i + 3]! });
  }
  return { kind: 'positive', sid, dtcs, isDtcReport };
}
