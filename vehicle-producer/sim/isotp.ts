/**
 * ISO 15765-2 (ISO-TP) segmentation on classic CAN with 8-byte padded frames: single
 * frame (PCI 0x0N), first frame (0x1N NN), consecutive frames (0x2N, sequence 1..15
 * wrapping to 0) and the receiver's flow control (0x30 BS STmin).
 */

/** Padding byte for unused frame bytes (many OEMs use 0xAA or 0x55). */
export const ISOTP_PAD = 0xaa;

function pad(bytes: number[]): Buffer {
  const b = Buffer.alloc(8, ISOTP_PAD);
  Buffer.from(bytes).copy(b);
  return b;
}

/** Splits a UDS message into ISO-TP frame payloads (first element is SF or FF). */
export function segment(payload: readonly number[]): Buffer[] {
  if (payload.length <= 7) return [pad([payload.length, ...payload])];
  if (payload.length > 4095) throw new RangeError('ISO-TP classic frames carry at most 4095 bytes');
  const frames = [pad([0x10 | (payload.length >> 8), payload.length & 0xff, ...payload.slice(0, 6)])];
  let seq = 1;
  for (let i = 6; i < payload.length; i += 7) {
    frames.push(pad([0x20 | (seq & 0x0f), ...payload.slice(i, i + 7)]));
    seq = (seq + 1) & 0x0f;
  }
  return frames;
}

/** Flow control "continue to send", no block limit, given STmin in ms. */
export function flowControl(stMinMs = 0): Buffer {
  return pad([0x30, 0x00, stMinMs]);
}

/** Reassembles ISO-TP payloads from frame payloads (SF or FF+CFs, flow control ignored); null when incomplete. */
export function reassemble(frames: readonly Buffer[]): number[] | null {
  const first = frames[0];
  if (!first) return null;
  const pci = first[0]! >> 4;
  if (pci === 0) return [...first.subarray(1, 1 + (first[0]! & 0x0f))];
  if (pci !== 1) return null;
  const len = ((first[0]! & 0x0f) << 8) | first[1]!;
  const out = [...first.subarray(2, 8)];
  let expect = 1;
  for (const f of frames.slice(1)) {
    if (f[0]! >> 4 === 3) continue;
    if (f[0]! >> 4 !== 2 || (f[0]! & 0x0f) !== expect) return null;
    out.push(...f.subarray(1, 8));
    expect = (expect + 1) & 0x0f;
  }
  return out.length >= len ? out.slice(0, len) : null;
}
