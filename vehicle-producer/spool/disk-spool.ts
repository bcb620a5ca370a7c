/**
 * Store-and-forward spool: encoded Kafka records that could not be sent are appended to
 * segment files on disk, in order, and drained oldest-first when the broker is back.
 * The spool is bounded: when it is full the oldest whole segment is dropped and every
 * record in it is counted, so loss is never silent. Segments survive a restart.
 *
 * Segment record format: u32 record length, u16 topic length, topic, u16 key length,
 * key, value bytes (the rest). All integers big-endian.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One spooled record. */
export interface SpooledRecord {
  topic: string;
  key: string;
  value: Buffer;
}

/** Spool limits. */
export interface DiskSpoolOptions {
  dir: string;
  /** Total bytes on disk before the oldest segment is dropped. Default 64 MiB. */
  maxBytes?: number;
  /** Bytes per segment file. Default min(4 MiB, maxBytes/4). */
  segmentBytes?: number;
}

interface Segment { seq: number; path: string; bytes: number; records: number }

function encode(r: SpooledRecord): Buffer {
  const topic = Buffer.from(r.topic);
  const key = Buffer.from(r.key);
  const len = 2 + topic.length + 2 + key.length + r.value.length;
  const b = Buffer.allocUnsafe(4 + len);
  let o = b.writeUInt32BE(len, 0);
  o = b.writeUInt16BE(topic.length, o);
  o += topic.copy(b, o);
  o = b.writeUInt16BE(key.length, o);
  o += key.copy(b, o);
  r.value.copy(b, o);
  return b;
}

function decodeAll(buf: Buffer): SpooledRecord[] {
  const out: SpooledRecord[] = [];
  let o = 0;
  while (o + 4 <= buf.length) {
    const len = buf.readUInt32BE(o);
    if (o + 4 + len > buf.length) break; // torn tail write after a crash: ignore the partial record
    let p = o + 4;
    const tl = buf.readUInt16BE(p); p += 2;
    const topic = buf.toString('utf8', p, p + tl); p += tl;
    const kl = buf.readUInt16BE(p); p += 2;
    const key = buf.toString('utf8', p, p + kl); p += kl;
    out.push({ topic, key, value: Buffer.from(buf.subarray(p, o + 4 + len)) });
    o += 4 + len;
  }
  return out;
}

/** A bounded on-disk FIFO of encoded records. */
export class DiskSpool {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private segments: Segment[] = [];
  private fd: number | null = null;
  /** Records dropped because the spool was full (oldest first). */
  droppedRecords = 0;
  /** Records ever appended. */
  appendedRecords = 0;

  constructor(opts: DiskSpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.segmentBytes = opts.segmentBytes ?? Math.max(1024, Math.min(4 * 1024 * 1024, Math.floor(this.maxBytes / 4)));
    mkdirSync(this.dir, { recursive: true });
    for (const f of readdirSync(this.dir).filter((x) => /^spool-\d{12}\.seg$/.test(x)).sort()) {
      const path = join(this.dir, f);
      this.segments.push({ seq: Number(f.slice(6, 18)), path, bytes: statSync(path).size, records: decodeAll(readFileSync(path)).length });
    }
  }

  /** Records waiting to be sent. */
  get size(): number {
    return this.segments.reduce((a, s) => a + s.records, 0);
  }

  /** Bytes on disk. */
  get bytes(): number {
    return this.segments.reduce((a, s) => a + s.bytes, 0);
  }

  /** Appends records in order; drops the oldest segments when over the bound. */
  append(records: readonly SpooledRecord[]): void {
    for (const r of records) {
      const b = encode(r);
      let cur = this.segments[this.segments.length - 1];
      if (!cur || this.fd === null || cur.bytes + b.length > this.segmentBytes) {
        this.rotate();
        cur = this.segments[this.segments.length - 1]!;
      }
      writeSync(this.fd!, b);
      cur.bytes += b.length;
      cur.records++;
      this.appendedRecords++;
      while (this.bytes > this.maxBytes && this.segments.length > 1) {
        const old = this.segments.shift()!;
        unlinkSync(old.path);
        this.droppedRecords += old.records;
      }
    }
  }

  private rotate(): void {
    if (this.fd !== null) closeSync(this.fd);
    const seq = (this.segments[this.segments.length - 1]?.seq ?? 0) + 1;
    const path = join(this.dir, `spool-${String(seq).padStart(12, '0')}.seg`);
    this.fd = openSync(path, 'a');
    this.segments.push({ seq, path, bytes: 0, records: 0 });
  }

  /** The oldest segment's records (closing it for writing), or null when empty. Call `commitOldest` after they are sent. */
  peekOldest(): SpooledRecord[] | null {
    const s = this.segments[0];
    if (!s) return null;
    if (this.segments.length === 1 && this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    return existsSync(s.path) ? decodeAll(readFileSync(s.path)) : [];
  }

  /** Deletes the oldest segment once its records are safely delivered. */
  commitOldest(): void {
    const s = this.segments.shift();
    if (s && existsSync(s.path)) unlinkSync(s.path);
  }

  /** Closes the open segment file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
