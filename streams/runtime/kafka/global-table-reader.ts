/**
 * Keeps global tables current on every worker: a consumer with a private group reads
 * the whole compacted topics from the beginning and keeps following them. `start()`
 * resolves once everything that existed at start time is loaded, so processors never
 * see a half-loaded rule set.
 *
 * Because the tables are followed asynchronously, an input record produced after a
 * global record could otherwise be processed before the table shows it. `caughtUp()`
 * gives read-your-writes across topics: it asks the broker for the global topics' high
 * watermarks (not the last stable offset, which can lag a just-committed transaction: see
 * high-watermarks.ts) with a request started no earlier than the caller's reference time,
 * and waits until the consumer's position has passed them. A transaction left open on a
 * global topic therefore makes waits run to their bound (counted as timeouts) until it ends. The position comes from kafkajs' END_BATCH_PROCESS `lastOffset`, which also
 * covers transaction control markers and compacted-away offsets that are never
 * delivered as messages (the same reason topic-reader.ts uses it).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import client from 'prom-client';
import type { Consumer } from 'kafkajs';
import { asFmeaflowError, ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { KafkaClient } from './client.ts';
import type { TopicCodec } from './topic-codec.ts';
import { GlobalTableSet, type GlobalValidator } from '../state/global-table-set.ts';
import { HighWatermarks } from './high-watermarks.ts';
import { logger } from '../observability/logger.ts';
import { deleteConsumerGroup } from './consumer-groups.ts';
import { prefixed } from '../../topic-catalog.ts';

const log = logger('global-tables');

/** Error code for global tables that do not load at start-up (local: errors.ts is not ours to extend). */
const GLOBAL_TABLES_NOT_LOADED = ErrorCodes.GLOBAL_TABLES_NOT_LOADED;

/** Default bound on how long a batch waits for global tables before proceeding anyway. */
export const DEFAULT_CATCH_UP_TIMEOUT_MS = 5000;

/** End offset (exclusive) per `topic:partition`, only for partitions holding records. */
type Ends = Map<string, bigint>;

interface EndsRequest {
  readonly startedAt: number;
  readonly result: Promise<Ends>;
}

interface Waiter {
  readonly ends: Ends;
  readonly resolve: () => void;
}

/** Something a runner can ask to be current before it processes a batch. */
export interface GlobalsFreshness {
  /** True once `topics` are read up to their end offsets as of `sinceMs` (performance.now()); false on timeout. */
  caughtUp(topics: readonly string[], opts?: { sinceMs?: number; timeoutMs?: number }): Promise<boolean>;
}

/** Follows global topics into a GlobalTableSet. */
export class GlobalTableReader implements GlobalsFreshness {
  readonly tables: GlobalTableSet;
  private consumer: Consumer | undefined;
  private groupId: string | undefined;
  private watermarks: HighWatermarks | undefined;
  /** Next offset to read per `topic:partition`: everything before it is applied to `tables`. */
  private readonly position = new Map<string, bigint>();
  private waiters = new Set<Waiter>();
  private inFlight: EndsRequest | undefined;
  private latest: { startedAt: number; ends: Ends } | undefined;
  private queued: Promise<Ends> | undefined;
  private readonly timeouts: client.Counter<'topic'> | undefined;
  private readonly waitSeconds: client.Histogram | undefined;
  private readonly rejections: client.Counter<'topic' | 'code'> | undefined;
  private stopped = false;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly codec: TopicCodec,
    readonly topics: readonly string[],
    registry?: client.Registry,
    validators?: Readonly<Record<string, GlobalValidator>>,
    /** Prefix of the reader's private group: the app id, so the app's ACL on groups `<app>-*` covers it. */
    private readonly groupPrefix = prefixed('fmeaflow'),
  ) {
    this.tables = new GlobalTableSet(validators);
    if (registry) {
      this.timeouts = new client.Counter({ name: 'fmeaflow_global_catchup_timeouts_total', help: 'Batches processed before the global tables they read caught up (wait timed out)', labelNames: ['topic'], registers: [registry] });
      this.rejections = new client.Counter({ name: 'fmeaflow_global_records_rejected_total', help: 'Global table records not applied (undecodable or invalid), by topic and error code', labelNames: ['topic', 'code'], registers: [registry] });
      this.waitSeconds = new client.Histogram({ name: 'fmeaflow_global_catchup_wait_seconds', help: 'Time a batch waited for its global tables to reach the end offsets', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
    }
  }

  /** Loads every global topic to its current end, then keeps following in the background. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.topics.length === 0) return;
    const watermarks = new HighWatermarks(this.kafka);
    await watermarks.connect();
    this.watermarks = watermarks;
    this.groupId = `${this.groupPrefix}-globals-${randomBytes(6).toString('hex')}`;
    const consumer = this.kafka.consumer({ groupId: this.groupId, readUncommitted: false, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: true });
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const { topic, partition, lastOffset } = e.payload as { topic: string; partition: number; lastOffset: string };
      const k = `${topic}:${partition}`;
      const next = BigInt(lastOffset) + 1n;
      if (next > (this.position.get(k) ?? -1n)) this.position.set(k, next);
      this.wake();
    });
    void consumer.run({
      // Every start reads the tables in full; committed offsets would only keep the group alive.
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        const key = message.key?.toString('utf8') ?? '';
        try {
          const rejected = this.tables.apply(topic, key, await this.decodeThroughOutages(topic, message.offset, message.value));
          if (rejected) {
            this.rejections?.inc({ topic, code: rejected.code });
            log.error('global table record rejected; keeping the previous value', { topic, offset: message.offset, key, code: rejected.code, err: rejected });
          }
        } catch (err) {
          this.rejections?.inc({ topic, code: asFmeaflowError(err, ErrorCodes.SCHEMA_MISMATCH).code });
          // A bad global record must not take the worker down; the old value stays in place.
          log.error('global table record does not decode; keeping the previous value', { topic, offset: message.offset, key, err });
        }
      },
    });
    if (!(await this.waitUntil(await this.endOffsets(performance.now()), timeoutMs))) {
      throw new FmeaflowError(GLOBAL_TABLES_NOT_LOADED, `global tables ${this.topics.join(', ')} not loaded within ${timeoutMs} ms`, { retriable: true });
    }
    log.info('global tables loaded', { topics: this.topics, sizes: Object.fromEntries(this.topics.map((t) => [t, this.tables.table(t).size])) });
  }

  /**
   * Decodes one global record; while the registry is down (a retriable error) it waits and tries again instead of
   * skipping the record, because a skipped update would leave the table silently stale until the next one. The wait
   * holds this reader only: batches wait for it at most their catch-up bound and then run on the loaded tables.
   */
  private async decodeThroughOutages(topic: string, offset: string, value: Buffer | null): Promise<unknown> {
    for (let round = 0; ; round++) {
      try {
        return await this.codec.decode(topic, value);
      } catch (err) {
        if (!(err instanceof FmeaflowError) || !err.retriable || this.stopped) throw err;
        log.warn('global table record waits for the schema registry', { topic, offset, round, err: err.message });
        await new Promise((r) => setTimeout(r, Math.min(5000, 500 * 2 ** Math.min(round, 4))));
      }
    }
  }

  /** Waits (bounded) until `topics` are read up to their end offsets as of `sinceMs`; logs, counts and returns false on timeout. */
  async caughtUp(topics: readonly string[], opts: { sinceMs?: number; timeoutMs?: number } = {}): Promise<boolean> {
    const wanted = topics.filter((t) => this.topics.includes(t));
    if (wanted.length === 0 || this.stopped) return true;
    const started = performance.now();
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CATCH_UP_TIMEOUT_MS;
    let ends: Ends;
    try {
      ends = await this.endOffsets(opts.sinceMs ?? started);
    } catch (err) {
      log.warn('could not fetch global topic end offsets; processing without waiting', { topics: wanted, err });
      for (const t of wanted) this.timeouts?.inc({ topic: t });
      return false;
    }
    const prefixes = wanted.map((t) => `${t}:`);
    const mine: Ends = new Map([...ends].filter(([k]) => prefixes.some((p) => k.startsWith(p))));
    const ok = await this.waitUntil(mine, Math.max(0, timeoutMs - (performance.now() - started)));
    this.waitSeconds?.observe((performance.now() - started) / 1000);
    if (!ok) {
      const behind = [...mine].filter(([k, h]) => (this.position.get(k) ?? 0n) < h).map(([k, h]) => ({ partition: k, position: String(this.position.get(k) ?? 0n), end: String(h) }));
      log.warn('global tables did not catch up in time; processing the batch with what is loaded', { timeoutMs, behind });
      for (const t of new Set(behind.map((b) => b.partition.slice(0, b.partition.lastIndexOf(':'))))) this.timeouts?.inc({ topic: t });
    }
    return ok;
  }

  private reached(ends: Ends): boolean {
    for (const [k, h] of ends) if ((this.position.get(k) ?? 0n) < h) return false;
    return true;
  }

  private wake(): void {
    for (const w of this.waiters) if (this.reached(w.ends)) w.resolve();
  }

  private waitUntil(ends: Ends, timeoutMs: number): Promise<boolean> {
    if (this.reached(ends)) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const w: Waiter = {
        ends,
        resolve: () => {
          clearTimeout(timer);
          this.waiters.delete(w);
          resolve(true);
        },
      };
      timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(this.reached(ends));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /**
   * End offsets from a ListOffsets request started at or after `sinceMs`. Concurrent callers
   * share a request; a caller whose reference time is after the in-flight request started
   * joins one follow-up request, so N runners cost at most two requests at a time.
   */
  private endOffsets(sinceMs: number): Promise<Ends> {
    if (this.latest && this.latest.startedAt >= sinceMs) return Promise.resolve(this.latest.ends);
    if (this.inFlight && this.inFlight.startedAt >= sinceMs) return this.inFlight.result;
    if (!this.inFlight) return this.launch();
    this.queued ??= this.inFlight.result
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.inFlight && this.inFlight.startedAt >= sinceMs ? this.inFlight.result : this.launch();
      });
    return this.queued;
  }

  private launch(): Promise<Ends> {
    const startedAt = performance.now();
    const result = (async () => {
      const ends: Ends = new Map();
      for (const [topic, offsets] of await this.watermarks!.fetch(this.topics)) {
        for (const e of offsets) if (e.high > e.low) ends.set(`${topic}:${e.partition}`, e.high);
      }
      return ends;
    })();
    const req: EndsRequest = { startedAt, result };
    this.inFlight = req;
    result.then(
      (ends) => {
        if (!this.latest || this.latest.startedAt < startedAt) this.latest = { startedAt, ends };
      },
      () => undefined,
    ).finally(() => {
      if (this.inFlight === req) this.inFlight = undefined;
    });
    return result;
  }

  /** Stops following; pending catch-up waits resolve at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of [...this.waiters]) w.resolve();
    await this.consumer?.disconnect();
    if (this.groupId !== undefined) await deleteConsumerGroup(this.kafka, this.groupId).catch(() => undefined);
    await this.watermarks?.disconnect().catch(() => undefined);
  }
}
