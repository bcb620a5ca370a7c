/**
 * Store-and-forward spool: encoded Kafka records that could not be sent are appended to
 * segment files on disk, in order, and drained oldest-first when the broker is back.
 * The spool is bounded: when it is full the oldest whole segment is dropped and every
 * record in it is counted, so loss is never silent. Segments survive a restart.
 *
 * Records are consumed from the head in any count (`peek` / `commit`), not only whole
 * segments, so a batch that was acknowledged is never re-sent just because a later batch
 * of the same segment failed. The head position is persisted (`head` file, replaced
 * atomically before consumed segments are deleted), so a restart re-sends nothing that
 * was committed. The same file carries how many head records were sent once without an
 * acknowledgement, so a restart knows their re-send may duplicate them.
 *
 * Segment record format: u32 record length, u16 topic length, topic, u16 key length,
 * key, value bytes (the rest). All integers big-endian. A record carrying a W3C
 * traceparent sets bit 15 of the topic length (topic names are at most 249 bytes, so
 * older segments never have it) and has u8 traceparent length + traceparent after the key.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** One spooled record. */
export interface SpooledRecord {
  topic: string;
  key: string;
  value: Buffer;
  /** W3C trace context of the produce batch the record was first part of, sent as the `traceparent` header. */
  traceparent?: string;
}

const HAS_TRACEPARENT = 0x8000;

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
  const tp = r.traceparent ? Buffer.from(r.traceparent, 'latin1') : null;
  const len = 2 + topic.length + 2 + key.length + (tp ? 1 + tp.length : 0) + r.value.length;
  const b = Buffer.allocUnsafe(4 + len);
  let o = b.writeUInt32BE(len, 0);
  o = b.writeUInt16BE(topic.length | (tp ? HAS_TRACEPARENT : 0), o);
  o += topic.copy(b, o);
  o = b.writeUInt16BE(key.length, o);
  o += key.copy(b, o);
  if (tp) {
    o = b.writeUInt8(tp.length, o);
    o += tp.copy(b, o);
  }
  r.value.copy(b, o);
  return b;
}

/** Kafka's legal topic names: a record whose topic is anything else would make every drain attempt fail. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Reads a segment's records. A record whose inner lengths run past its own length, or whose topic is not a legal
 * topic name (a damaged segment), is skipped and counted in `corrupt`: forwarding it would send garbage to a garbage
 * topic, and a send that can never succeed would hold the whole spool.
 */
function decodeAll(buf: Buffer): { records: SpooledRecord[]; corrupt: number } {
  const out: SpooledRecord[] = [];
  let corrupt = 0;
  let o = 0;
  while (o + 4 <= buf.length) {
    const len = buf.readUInt32BE(o);
    if (o + 4 + len > buf.length) break; // torn tail write after a crash: ignore the partial record
    const end = o + 4 + len;
    let p = o + 4;
    const field = (n: number): number => {
      const at = p;
      p += n;
      return p <= end ? at : -1;
    };
    let ok = len >= 4;
    const tlRaw = ok ? buf.readUInt16BE(field(2)) : 0;
    const tl = tlRaw & ~HAS_TRACEPARENT;
    const topicAt = field(tl);
    const topic = topicAt >= 0 ? buf.toString('utf8', topicAt, topicAt + tl) : '';
    const klAt = field(2);
    const kl = klAt >= 0 ? buf.readUInt16BE(klAt) : 0;
    const keyAt = field(kl);
    const key = keyAt >= 0 ? buf.toString('utf8', keyAt, keyAt + kl) : '';
    let traceparent: string | undefined;
    if (tlRaw & HAS_TRACEPARENT) {
      const nAt = field(1);
      const n = nAt >= 0 ? buf.readUInt8(nAt) : 0;
      const tpAt = field(n);
      if (tpAt >= 0) traceparent = buf.toString('latin1', tpAt, tpAt + n);
    }
    ok &&= p <= end && TOPIC_NAME.test(topic);
    if (ok) out.push({ topic, key, value: Buffer.from(buf.subarray(p, end)), ...(traceparent ? { traceparent } : {}) });
    else corrupt++;
    o = end;
  }
  return { records: out, corrupt };
}

/** A bounded on-disk FIFO of encoded records. */
export class DiskSpool {
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private segments: Segment[] = [];
  private fd: number | null = null;
  /** Records of `segments[0]` already committed. */
  private headSkip = 0;
  /** Head records that were sent once without an acknowledgement: the broker may hold them already. */
  private pending = 0;
  /** Decoded records of closed segments touched by `peek`, by segment seq. */
  private decoded = new Map<number, SpooledRecord[]>();
  /** Records dropped because the spool was full (oldest first). */
  droppedRecords = 0;
  /** Records of damaged segments found on open and skipped (decodeAll). */
  corruptRecords = 0;
  /** Records ever appended. */
  appendedRecords = 0;

  constructor(opts: DiskSpoolOptions) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.segmentBytes = opts.segmentBytes ?? Math.max(1024, Math.min(4 * 1024 * 1024, Math.floor(this.maxBytes / 4)));
    mkdirSync(this.dir, { recursive: true });
    for (const f of readdirSync(this.dir).filter((x) => /^spool-\d{12}\.seg$/.test(x)).sort()) {
      const path = join(this.dir, f);
      const { records, corrupt } = decodeAll(readFileSync(path));
      this.corruptRecords += corrupt;
      this.segments.push({ seq: Number(f.slice(6, 18)), path, bytes: statSync(path).size, records: records.length });
    }
    const head = this.readHead();
    if (head) {
      // Segments before the recorded head were consumed; a crash may have left them behind.
      while (this.segments[0] && this.segments[0].seq < head.seq) unlinkSync(this.segments.shift()!.path);
      if (this.segments[0]?.seq === head.seq) {
        this.headSkip = Math.min(head.skip, this.segments[0].records);
        this.pending = Math.min(head.pending, this.size);
      }
    }
  }

  private get headPath(): string {
    return join(this.dir, 'head');
  }

  private readHead(): { seq: number; skip: number; pending: number } | null {
    if (!existsSync(this.headPath)) return null;
    const m = /^(\d+) (\d+)(?: (\d+))?$/.exec(readFileSync(this.headPath, 'utf8').trim());
    return m ? { seq: Number(m[1]), skip: Number(m[2]), pending: Number(m[3] ?? 0) } : null;
  }

  private writeHead(): void {
    const s = this.segments[0];
    if (!s) {
      // An empty spool leaves no files behind.
      if (existsSync(this.headPath)) unlinkSync(this.headPath);
      return;
    }
    const tmp = `${this.headPath}.tmp`;
    writeFileSync(tmp, `${s.seq} ${this.headSkip} ${this.pending}\n`);
    renameSync(tmp, this.headPath);
  }

  /** Records waiting to be sent. */
  get size(): number {
    return this.segments.reduce((a, s) => a + s.records, 0) - this.headSkip;
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
        this.droppedRecords += old.records - this.headSkip;
        this.headSkip = 0;
        this.pending = 0;
        this.decoded.delete(old.seq);
        this.writeHead();
        unlinkSync(old.path);
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

  private records(i: number): SpooledRecord[] {
    const s = this.segments[i]!;
    // A segment being read is closed for writing, so its decoded records stay valid.
    if (i === this.segments.length - 1 && this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
    }
    let recs = this.decoded.get(s.seq);
    if (!recs) this.decoded.set(s.seq, (recs = existsSync(s.path) ? decodeAll(readFileSync(s.path)).records : []));
    return recs;
  }

  /** Head records marked as sent without an acknowledgement (kept across a restart until committed). */
  get pendingHead(): number {
    return this.pending;
  }

  /** Marks the first `n` head records as sent once without an acknowledgement (0 clears the mark). */
  markPendingHead(n: number): void {
    this.pending = Math.min(n, this.size);
    this.writeHead();
  }

  /** Up to `max` records from the head, oldest first, without consuming them. Call `commit` after they are sent. */
  peek(max: number): SpooledRecord[] {
    const out: SpooledRecord[] = [];
    for (let i = 0; i < this.segments.length && out.length < max; i++) {
      const recs = this.records(i);
      const from = i === 0 ? this.headSkip : 0;
      out.push(...recs.slice(from, from + max - out.length));
    }
    return out;
  }

  /** Consumes `n` records from the head (they were delivered); deletes segments that are fully consumed. */
  commit(n: number): void {
    this.headSkip += n;
    this.pending = 0;
    const done: Segment[] = [];
    while (this.segments[0] && this.headSkip >= this.segments[0].records) {
      if (this.segments.length === 1 && this.fd !== null) {
        closeSync(this.fd);
        this.fd = null;
      }
      const s = this.segments.shift()!;
      this.headSkip -= s.records;
      this.decoded.delete(s.seq);
      done.push(s);
    }
    if (!this.segments[0]) this.headSkip = 0;
    this.writeHead();
    for (const s of done) if (existsSync(s.path)) unlinkSync(s.path);
  }

  /** The oldest segment's remaining records, or null when empty. Call `commitOldest` after they are sent. */
  peekOldest(): SpooledRecord[] | null {
    if (!this.segments[0]) return null;
    return this.records(0).slice(this.headSkip);
  }

  /** Consumes the rest of the oldest segment once its records are safely delivered. */
  commitOldest(): void {
    const s = this.segments[0];
    if (s) this.commit(s.records - this.headSkip);
  }

  /** Closes the open segment file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
