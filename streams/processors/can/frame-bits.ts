/**
 * Bits a frame occupies on the bus, for bus-load features. Classic CAN is bit-accurate:
 * the frame is laid out field by field (SOF … CRC-15), the actual stuff bits are counted on
 * that bit string, and the worst case uses the closed form ⌊(g + 8n − 1)/4⌋ (Davis et al.,
 * "CAN schedulability analysis refuted, revisited and revised", 2007; g = 34 standard, 54
 * extended). The 13 unstuffed trailing bits are CRC delimiter, ACK slot, ACK delimiter,
 * 7 EOF and 3 interframe space. CAN FD is an estimate (see `fdFrameBits`).
 */
import { dlcToLength, type CanFrame } from './can-batch.ts';

export interface FrameBits {
  /** Bits with the stuff bits this frame's content really needs. */
  readonly actual: number;
  /** Bits with worst-case stuffing for its length. */
  readonly worst: number;
}

/** Unstuffed trailing bits: CRC delimiter 1, ACK slot 1, ACK delimiter 1, EOF 7, IFS 3. */
export const TRAILER_BITS = 13;
/** Error frame as counted here: 6-bit error flag + 8-bit delimiter + 3 IFS (the minimum; superposition can add up to 6). */
export const ERROR_FRAME_BITS = 17;

/** CRC-15/CAN (polynomial 0x4599) over a bit string. */
export function crc15(bits: readonly number[]): number {
  let crc = 0;
  for (const b of bits) {
    const next = b ^ ((crc >> 14) & 1);
    crc = (crc << 1) & 0x7fff;
    if (next) crc ^= 0x4599;
  }
  return crc;
}

function pushBits(out: number[], value: number, width: number): void {
  for (let i = width - 1; i >= 0; i--) out.push((value >>> i) & 1);
}

/** The stuffable bit string SOF … CRC of a classic frame. */
export function classicFrameBitString(f: Pick<CanFrame, 'id' | 'extended' | 'rtr' | 'dlc' | 'data'>): number[] {
  const bits: number[] = [0]; // SOF (dominant)
  const rtr = f.rtr ? 1 : 0;
  if (f.extended) {
    pushBits(bits, (f.id >>> 18) & 0x7ff, 11);
    bits.push(1, 1); // SRR, IDE (recessive)
    pushBits(bits, f.id & 0x3ffff, 18);
    bits.push(rtr, 0, 0); // RTR, r1, r0
  } else {
    pushBits(bits, f.id & 0x7ff, 11);
    bits.push(rtr, 0, 0); // RTR, IDE (dominant), r0
  }
  pushBits(bits, f.dlc & 0xf, 4);
  if (!f.rtr) {
    const n = dlcToLength(f.dlc, false);
    for (let i = 0; i < n; i++) pushBits(bits, f.data[i] ?? 0, 8);
  }
  pushBits(bits, crc15(bits), 15);
  return bits;
}

/** Stuff bits inserted into a bit string (a stuff bit counts toward the next run). */
export function countStuffBits(bits: readonly number[]): number {
  if (bits.length === 0) return 0;
  let stuffed = 0;
  let prev = bits[0]!;
  let run = 1;
  for (let i = 1; i < bits.length; i++) {
    const b = bits[i]!;
    if (b === prev) run++;
    else { prev = b; run = 1; }
    if (run === 5) {
      stuffed++;
      prev = 1 - prev;
      run = 1;
    }
  }
  return stuffed;
}

/**
 * CAN FD estimate in nominal-bit equivalents: arbitration fields at the nominal rate, the
 * data phase (ESI, DLC, data, stuff count, CRC-17/21 with fixed stuff bits) scaled by
 * nominal/data bitrate when BRS is set, dynamic stuffing taken as worst case for both.
 */
export function fdFrameBits(f: Pick<CanFrame, 'extended' | 'brs' | 'dlc'>, nominalBps: number, dataBps: number): FrameBits {
  const n = dlcToLength(f.dlc, true);
  const arb = f.extended ? 1 + 11 + 1 + 1 + 18 + 1 + 1 + 1 : 1 + 11 + 1 + 1 + 1 + 1; // SOF…BRS
  const arbStuff = Math.floor((arb - 1) / 4);
  const crcLen = n <= 16 ? 17 : 21;
  const dataPhase = 1 + 4 + 8 * n + Math.floor((5 + 8 * n - 1) / 4) + 4 + crcLen + Math.ceil((crcLen + 4) / 4);
  const scale = f.brs && dataBps > 0 ? nominalBps / dataBps : 1;
  const bits = arb + arbStuff + dataPhase * scale + TRAILER_BITS;
  return { actual: bits, worst: bits };
}

/** Bits of one frame (actual and worst case), error frames included. */
export function frameBits(f: CanFrame, nominalBps: number, dataBps: number): FrameBits {
  if (f.error) return { actual: ERROR_FRAME_BITS, worst: ERROR_FRAME_BITS };
  if (f.fd) return fdFrameBits(f, nominalBps, dataBps);
  const bits = classicFrameBitString(f);
  const n = f.rtr ? 0 : dlcToLength(f.dlc, false);
  const g = f.extended ? 54 : 34;
  const worstStuff = Math.floor((g + 8 * n - 1) / 4);
  return { actual: bits.length + countStuffBits(bits) + TRAILER_BITS, worst: bits.length + worstStuff + TRAILER_BITS };
}
