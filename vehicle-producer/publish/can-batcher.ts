/**
 * Groups CAN frames into CanFrameBatch records: one record per vehicle, bus and
 * event-time interval (aligned to multiples of `batchMs`), with a per-(vehicle, bus)
 * sequence number and the number of frames dropped before it (bandwidth cap). Frames
 * must arrive in time order per vehicle and bus, as captures and drives are: a frame of
 * a window before the latest one of its vehicle and bus is refused (`accepts`), because a
 * second batch for a window already closed would make two batches cover the same time.
 */
import type { CanFrame } from '../can-frame.ts';
import type { CanFrameBatchRecord } from '../schemas.ts';

interface Open {
  vehicleId: string;
  bus: string;
  startUs: number;
  frames: CanFrameBatchRecord['frames'];
}

/** Batcher options. */
export interface CanBatcherOptions {
  batchMs: number;
  bitrateBps?: number | null;
  /** Per bus name; wins over bitrateBps. */
  bitrateByBus?: Readonly<Record<string, number>>;
}

/** Stateful batcher; `add` and `flush` return finished batches. */
export class CanBatcher {
  private readonly open = new Map<string, Open>();
  private readonly seq = new Map<string, number>();
  private readonly dropped = new Map<string, number>();
  /** Start of the latest window per vehicle and bus, open or closed. */
  private readonly latestStart = new Map<string, number>();
  private readonly batchUs: number;

  constructor(private readonly opts: CanBatcherOptions) {
    if (!(opts.batchMs > 0)) throw new RangeError('batchMs must be > 0');
    this.batchUs = Math.round(opts.batchMs * 1000);
  }

  /** Counts a frame dropped before reaching the batcher (reported in the vehicle's next batch). */
  noteDropped(vehicleId: string, bus: string, n = 1): void {
    const k = `${vehicleId}\u0000${bus}`;
    this.dropped.set(k, (this.dropped.get(k) ?? 0) + n);
  }

  /** False when the frame belongs to a window before the latest of its vehicle and bus. */
  accepts(vehicleId: string, f: CanFrame): boolean {
    const latest = this.latestStart.get(`${vehicleId}\u0000${f.iface}`);
    return latest === undefined || Math.floor(f.timestampUs / this.batchUs) * this.batchUs >= latest;
  }

  /** Adds a frame `accepts` allows; returns the batch it closed, if any. */
  add(vehicleId: string, f: CanFrame): CanFrameBatchRecord | null {
    if (!this.accepts(vehicleId, f)) throw new RangeError(`frame at ${f.timestampUs} µs is behind the latest batch of ${vehicleId}/${f.iface}`);
    const k = `${vehicleId}\u0000${f.iface}`;
    const start = Math.floor(f.timestampUs / this.batchUs) * this.batchUs;
    this.latestStart.set(k, start);
    const cur = this.open.get(k);
    let closed: CanFrameBatchRecord | null = null;
    if (cur && cur.startUs !== start) {
      closed = this.close(k, cur);
    }
    let o = this.open.get(k);
    if (!o) this.open.set(k, (o = { vehicleId, bus: f.iface, startUs: start, frames: [] }));
    o.frames.push({ timestampUs: f.timestampUs, id: f.id, extended: f.extended, fd: f.fd, brs: f.brs, rtr: f.rtr, error: f.error, dlc: f.dlc, data: f.data });
    return closed;
  }

  /** Closes every open batch whose interval ended at or before `untilUs` (all when omitted). */
  flush(untilUs = Number.POSITIVE_INFINITY): CanFrameBatchRecord[] {
    const out: CanFrameBatchRecord[] = [];
    for (const [k, o] of [...this.open]) if (o.startUs + this.batchUs <= untilUs) out.push(this.close(k, o));
    return out;
  }

  private close(k: string, o: Open): CanFrameBatchRecord {
    this.open.delete(k);
    const seq = this.seq.get(k) ?? 0;
    this.seq.set(k, seq + 1);
    const droppedFrames = this.dropped.get(k) ?? 0;
    this.dropped.delete(k);
    return { vehicleId: o.vehicleId, bus: o.bus, bitrateBps: (Object.hasOwn(this.opts.bitrateByBus ?? {}, o.bus) ? this.opts.bitrateByBus![o.bus] : undefined) ?? this.opts.bitrateBps ?? null, seq, batchStartUs: o.startUs, batchEndUs: o.startUs + this.batchUs, frames: o.frames, droppedFrames };
  }
}
