/**
 * Per-vehicle uplink bandwidth cap as a token bucket in event time: a vehicle may send
 * `bytesPerSecond` on average with bursts up to one second's worth. Frames over the cap
 * are dropped and counted; the count travels in the next batch's `droppedFrames`.
 */

/** Bytes a frame costs on the uplink: payload plus ~16 bytes of Avro framing (timestamp, id, flags, dlc, length). */
export function frameCostBytes(dataLength: number): number {
  return 16 + dataLength;
}

/** Token bucket per vehicle. */
export class BandwidthCap {
  private readonly buckets = new Map<string, { tokens: number; lastUs: number }>();
  constructor(private readonly bytesPerSecond: number) {}

  /** True if the frame may be sent at event time `tUs`; false means drop it. */
  admit(vehicleId: string, tUs: number, bytes: number): boolean {
    if (!Number.isFinite(this.bytesPerSecond) || this.bytesPerSecond <= 0) return true;
    let b = this.buckets.get(vehicleId);
    if (!b) this.buckets.set(vehicleId, (b = { tokens: this.bytesPerSecond, lastUs: tUs }));
    if (tUs > b.lastUs) {
      b.tokens = Math.min(this.bytesPerSecond, b.tokens + ((tUs - b.lastUs) / 1e6) * this.bytesPerSecond);
      b.lastUs = tUs;
    }
    if (b.tokens < bytes) return false;
    b.tokens -= bytes;
    return true;
  }
}
