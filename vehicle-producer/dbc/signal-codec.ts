/**
 * Bit-exact decoding and encoding of DBC signals, with the same semantics as cantools:
 * Intel (LSB start bit, little endian) and Motorola (MSB start bit in sawtooth
 * numbering, big endian), two's-complement signed, IEEE float/double, phys =
 * raw·scale + offset, VAL_ choices on the raw value, and (extended) multiplexing where a
 * signal is decoded only when its switch holds one of its ids and an unknown switch value
 * is an error.
 */
import type { DbcMessage, DbcSignal } from './dbc-types.ts';

/** Why a payload could not be decoded. */
export class DbcDecodeError extends Error {}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** MSB-first bit position of a Motorola signal's first (most significant) bit. */
function motorolaStart(startBit: number): number {
  return 8 * (startBit >> 3) + (7 - (startBit & 7));
}

function readRaw(data: Uint8Array, s: DbcSignal): bigint | number {
  const big = s.length > 32;
  if (s.byteOrder === 'little_endian') {
    if (!big) {
      let v = 0;
      for (let i = s.length - 1; i >= 0; i--) {
        const p = s.startBit + i;
        v = v * 2 + ((data[p >> 3]! >> (p & 7)) & 1);
      }
      return v;
    }
    let v = 0n;
    for (let i = s.length - 1; i >= 0; i--) {
      const p = s.startBit + i;
      v = (v << 1n) | BigInt((data[p >> 3]! >> (p & 7)) & 1);
    }
    return v;
  }
  const start = motorolaStart(s.startBit);
  if (!big) {
    let v = 0;
    for (let i = 0; i < s.length; i++) {
      const p = start + i;
      v = v * 2 + ((data[p >> 3]! >> (7 - (p & 7))) & 1);
    }
    return v;
  }
  let v = 0n;
  for (let i = 0; i < s.length; i++) {
    const p = start + i;
    v = (v << 1n) | BigInt((data[p >> 3]! >> (7 - (p & 7))) & 1);
  }
  return v;
}

/** Highest byte index a signal touches (to reject truncated payloads). */
function lastByte(s: DbcSignal): number {
  if (s.byteOrder === 'little_endian') return (s.startBit + s.length - 1) >> 3;
  return (motorolaStart(s.startBit) + s.length - 1) >> 3;
}

/** The raw (unscaled) value of a signal: signed/unsigned integer (number or bigint) or float. */
export function decodeRaw(data: Uint8Array, s: DbcSignal): number | bigint {
  const raw = readRaw(data, s);
  if (s.valueType === 'float32') {
    u32[0] = Number(raw);
    return f32[0]!;
  }
  if (s.valueType === 'float64') {
    u64[0] = BigInt(raw);
    return f64[0]!;
  }
  if (!s.signed) return raw;
  if (typeof raw === 'number') {
    const half = 2 ** (s.length - 1);
    return raw >= half ? raw - 2 * half : raw;
  }
  const half = 1n << BigInt(s.length - 1);
  return raw >= half ? raw - (half << 1n) : raw;
}

/** Physical value raw·scale + offset (as a JS number). */
export function toPhysical(raw: number | bigint, s: DbcSignal): number {
  return Number(raw) * s.scale + s.offset;
}

/** Decoded message: physical values and, where VAL_ names the raw value, the choice name. */
export interface DecodedMessage {
  values: Record<string, number>;
  choices: Record<string, string>;
}

/** Decodes every signal present in `data` (honouring multiplexing). */
export function decodeMessage(msg: DbcMessage, data: Uint8Array): DecodedMessage {
  if (data.length < msg.length) throw new DbcDecodeError(`${msg.name}: payload has ${data.length} bytes, message needs ${msg.length}`);
  const out: DecodedMessage = { values: {}, choices: {} };
  decodeNode(msg, data, null, null, out);
  return out;
}

function decodeNode(msg: DbcMessage, data: Uint8Array, parent: string | null, muxId: number | null, out: DecodedMessage): void {
  for (const s of msg.signals) {
    if (s.multiplexerSignal !== parent) continue;
    if (muxId !== null && !s.multiplexerIds.includes(muxId)) continue;
    if (lastByte(s) >= data.length) throw new DbcDecodeError(`${msg.name}.${s.name}: payload too short`);
    const raw = decodeRaw(data, s);
    const phys = toPhysical(raw, s);
    out.values[s.name] = phys;
    if (typeof raw !== 'bigint' || raw <= BigInt(Number.MAX_SAFE_INTEGER)) {
      const c = s.choices.get(Number(raw));
      if (c !== undefined) out.choices[s.name] = c;
    }
  }
  for (const s of msg.signals) {
    if (!s.isMultiplexer || s.multiplexerSignal !== parent) continue;
    if (muxId !== null && !s.multiplexerIds.includes(muxId)) continue;
    const children = new Set<number>();
    for (const c of msg.signals) if (c.multiplexerSignal === s.name) for (const id of c.multiplexerIds) children.add(id);
    // Like cantools: a named switch value is valid even with no signals behind it (Tesla style),
    // and a switch with no dependants at all is not checked.
    for (const k of s.choices.keys()) children.add(k);
    if (children.size === 0) continue;
    const sel = Math.trunc(out.values[s.name]!);
    if (!children.has(sel)) {
      throw new DbcDecodeError(`${msg.name}: expected multiplexer ${s.name} id ${[...children].sort((a, b) => a - b).join(', ')}, but got ${sel}`);
    }
    decodeNode(msg, data, s.name, sel, out);
  }
}

function writeBits(data: Uint8Array, s: DbcSignal, raw: bigint): void {
  if (s.byteOrder === 'little_endian') {
    for (let i = 0; i < s.length; i++) {
      const p = s.startBit + i;
      const bit = Number((raw >> BigInt(i)) & 1n);
      data[p >> 3] = (data[p >> 3]! & ~(1 << (p & 7))) | (bit << (p & 7));
    }
    return;
  }
  const start = motorolaStart(s.startBit);
  for (let i = 0; i < s.length; i++) {
    const p = start + i;
    const bit = Number((raw >> BigInt(s.length - 1 - i)) & 1n);
    const sh = 7 - (p & 7);
    data[p >> 3] = (data[p >> 3]! & ~(1 << sh)) | (bit << sh);
  }
}

/** Raw bit pattern for a physical value: rounded, clamped to the signal's integer range. */
export function encodeRaw(phys: number, s: DbcSignal): bigint {
  const v = (phys - s.offset) / (s.scale === 0 ? 1 : s.scale);
  if (s.valueType === 'float32') {
    f32[0] = v;
    return BigInt(u32[0]!);
  }
  if (s.valueType === 'float64') {
    f64[0] = v;
    return u64[0]!;
  }
  const bits = BigInt(s.length);
  const lo = s.signed ? -(1n << (bits - 1n)) : 0n;
  const hi = s.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  let r = Number.isFinite(v) ? BigInt(Math.round(v)) : 0n;
  if (r < lo) r = lo;
  if (r > hi) r = hi;
  return r < 0n ? r + (1n << bits) : r;
}

/** Encodes physical values into a payload of the message's length; absent signals are 0, multiplexed signals only when their switch value selects them. */
export function encodeMessage(msg: DbcMessage, values: Record<string, number>): Buffer {
  const data = Buffer.alloc(msg.length);
  for (const s of msg.signals) {
    if (s.multiplexerSignal !== null) {
      const sw = Math.trunc(values[s.multiplexerSignal] ?? 0);
      if (!s.multiplexerIds.includes(sw)) continue;
    }
    const v = values[s.name];
    if (v === undefined) continue;
    writeBits(data, s, encodeRaw(v, s));
  }
  return data;
}
