/**
 * Where encoded records go: an idempotent kafkajs producer (acks=-1, GZIP, the default
 * murmur2 partitioner so keys land where every other client puts them), fronted by the
 * disk spool. While the broker cannot be reached — at start or after a failed send —
 * records go to the spool in order; a background retry reconnects and drains the spool
 * oldest-first before any new record is sent, so per-key order survives an outage.
 *
 * Exactly once across an outage: a batch whose send failed may still have been written
 * (the broker died after appending, before answering). Such a batch is the head of the
 * spool and is re-sent first, unchanged, by the SAME producer: kafkajs rolls its sequence
 * numbers back on a failed request, so the retry carries the same producer id and
 * sequences, and the broker (which restores producer state from its log on restart)
 * answers a duplicate with the original offsets instead of appending it twice. Only when
 * that producer cannot be used any more is a new one created; the re-sent batch may then
 * be a duplicate and is counted in `possibleDuplicates`, never hidden.
 *
 * Tracing: each flushed batch is one PRODUCER span, and every record of it carries that
 * span's W3C `traceparent` header (kept through the spool), so the engine's batch span
 * continues the trace. With the OpenTelemetry API a no-op (no SDK started) there are no
 * spans and no headers.
 */
import kafkajs from 'kafkajs';
import type { Producer } from 'kafkajs';
import { createKafka } from '../../streams/runtime/kafka/client.ts';
import { DiskSpool, type SpooledRecord } from '../spool/disk-spool.ts';
import { producerMetrics } from '../producer-metrics.ts';
import { ErrorCodes, FmeaflowError } from '../../streams/errors.ts';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { spanTraceparent } from '../../streams/runtime/observability/tracing.ts';

const { CompressionTypes, Partitioners } = kafkajs;

/** Sink options. */
export interface KafkaSinkOptions {
  brokers: string[];
  clientId?: string;
  /** Spool folder; without it an unreachable broker is an error instead. */
  spoolDir?: string;
  spoolMaxBytes?: number;
  /** Records per produce request. Default 500. */
  maxBatchRecords?: number;
  /** Delay between reconnect attempts while spooling. Default 1000 ms. */
  reconnectMs?: number;
  /** Connect timeout per attempt. Default 1500 ms. */
  connectionTimeoutMs?: number;
}

/** Delivery counters. */
export interface SinkStats {
  sent: number;
  spooled: number;
  spoolDropped: number;
  spoolPending: number;
  /** Records re-sent by a new producer after an unacknowledged send: they may exist twice. */
  possibleDuplicates: number;
  mode: 'live' | 'spooling';
}

/** Broker answers meaning the producer id / sequence state is unusable: a new producer is needed. */
const PRODUCER_STATE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING', 'PRODUCER_FENCED']);

function producerStateBroken(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (e.type && PRODUCER_STATE_ERRORS.has(e.type)) return true;
    e = (e.cause ?? e.originalError) as typeof e;
  }
  return false;
}

/** The broker could not be reached and nothing can hold the records: retriable once it is back. */
function unreachable(brokers: readonly string[], cause: unknown): FmeaflowError {
  const why = cause instanceof Error ? ` (${cause.message})` : '';
  return new FmeaflowError(ErrorCodes.BROKER_UNREACHABLE, `Kafka broker ${brokers.join(',')} is unreachable${why} and no spool is configured; pass --spool-dir to store and forward, or check KAFKA_BROKERS`, { retriable: true, cause, details: { brokers: [...brokers] } });
}

/** A send the broker refused; retriable exactly when kafkajs says the broker may accept it later. */
function produceFailed(brokers: readonly string[], topics: readonly string[], cause: unknown): FmeaflowError {
  const e = cause as { message?: string; retriable?: boolean; type?: string } | undefined;
  return new FmeaflowError(ErrorCodes.PRODUCE_FAILED, `sending to ${topics.join(', ')} on ${brokers.join(',')} failed: ${e?.message ?? String(cause)}${e?.type ? ` [${e.type}]` : ''}`, { retriable: e?.retriable ?? true, cause, details: { brokers: [...brokers], topics: [...topics], ...(e?.type ? { kafkaError: e.type } : {}) } });
}

const tracer = trace.getTracer('fmeaflow-vehicle-producer');

/** The span of one produce batch, named and attributed after the OTel messaging conventions. */
function batchSpan(name: string, records: readonly SpooledRecord[]): Span {
  const topics = [...new Set(records.map((r) => r.topic))];
  return tracer.startSpan(`${name} ${topics.length === 1 ? topics[0] : `${topics.length} topics`}`, {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.batch.message_count': records.length, ...(topics.length === 1 ? { 'messaging.destination.name': topics[0]! } : { 'fmeaflow.topics': topics.join(',') }) },
  });
}

/** Buffered, spool-backed Kafka writer. */
export class KafkaSink {
  private brokers: string[];
  private producer: Producer | null = null;
  private queue: SpooledRecord[] = [];
  private readonly spool: DiskSpool | null;
  private mode: 'live' | 'spooling' = 'spooling';
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Serialises every produce and spool decision, so batches leave in append order. */
  private lock: Promise<void> = Promise.resolve();
  private draining: Promise<void> | null = null;
  /** Head records of the spool that `producer` sent without an acknowledgement; re-sent first, as one batch. */
  private unacked = 0;
  private closed = false;
  sent = 0;
  spooled = 0;
  possibleDuplicates = 0;
  lastError: unknown = null;

  constructor(private readonly opts: KafkaSinkOptions) {
    this.brokers = [...opts.brokers];
    this.spool = opts.spoolDir ? new DiskSpool({ dir: opts.spoolDir, ...(opts.spoolMaxBytes ? { maxBytes: opts.spoolMaxBytes } : {}) }) : null;
    // A batch an earlier run sent without an acknowledgement goes out again with a new producer id.
    this.possibleDuplicates = this.spool?.pendingHead ?? 0;
    // Damaged spool records cannot be sent: they are lost, and counted with the other spool drops.
    if (this.spool?.corruptRecords) producerMetrics.spoolDropped.inc(this.spool.corruptRecords);
  }

  /** Connects (or starts spooling when the broker is down and a spool is configured). */
  async start(): Promise<void> {
    if (await this.exclusive(() => this.connect())) {
      await this.drainSpool().catch(() => undefined);
      return;
    }
    if (!this.spool) throw unreachable(this.brokers, this.lastError);
    this.scheduleReconnect();
  }

  /** Points the sink at other brokers (e.g. after a failover) and reconnects now. */
  async switchBrokers(brokers: string[]): Promise<void> {
    const up = await this.exclusive(async () => {
      this.brokers = [...brokers];
      // Another cluster knows nothing of the old producer id: a pending batch can no longer be deduplicated.
      await this.replaceProducer();
      this.mode = 'spooling';
      return this.connect();
    });
    if (up) await this.drainSpool().catch(() => undefined);
    else this.scheduleReconnect();
  }

  /** Runs `fn` after everything queued before it. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Makes sure a connected producer exists (keeping the current one); true when live. Call inside `exclusive`. */
  private async connect(): Promise<boolean> {
    if (this.closed) return false;
    if (this.producer) {
      this.mode = 'live';
      return true;
    }
    const kafka = createKafka(this.opts.clientId ?? 'fmeaflow-vehicle-producer', this.brokers, 2, true, {
      connectionTimeout: this.opts.connectionTimeoutMs ?? 1500,
      retry: { initialRetryTime: 100, retries: 2, maxRetryTime: 1000 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 } });
    try {
      await producer.connect();
      this.producer = producer;
      this.mode = 'live';
      return true;
    } catch (err) {
      this.lastError = err;
      await producer.disconnect().catch(() => undefined);
      return false;
    }
  }

  /** Drops the current producer; a batch it left unacknowledged will be re-sent by a new one and may be duplicated. */
  private async replaceProducer(): Promise<void> {
    if (this.unacked > 0) {
      this.possibleDuplicates += this.unacked;
      this.unacked = 0;
    }
    const p = this.producer;
    this.producer = null;
    if (p) await p.disconnect().catch(() => undefined);
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.probe();
    }, this.opts.reconnectMs ?? 1000);
    this.reconnectTimer.unref();
  }

  /** One reconnect attempt: the pending batch (or a fresh connection) decides whether the broker is back. */
  private async probe(): Promise<void> {
    if (this.mode === 'live' || this.closed) return;
    const up = await this.exclusive(async () => {
      if (this.mode === 'live') return true;
      if (!(await this.connect())) return false;
      // The kept producer proves itself by delivering the batch it left pending.
      if (this.unacked > 0 && !(await this.drainOne())) return false;
      return true;
    });
    if (up) await this.drainSpool().catch(() => undefined);
    else this.scheduleReconnect();
  }

  /** Sends the next spooled batch; false (and spooling mode) when that failed. Call inside `exclusive`. */
  private async drainOne(): Promise<boolean> {
    const spool = this.spool!;
    // The pending batch goes exactly as first sent, so its sequence numbers match what the broker may hold.
    const batch = spool.peek(this.unacked > 0 ? this.unacked : this.maxBatch);
    if (batch.length === 0) return true;
    // Spooled records keep the traceparent of the batch they were produced in; this span only times the forward.
    const span = batchSpan('forward spooled', batch);
    try {
      await this.produce(batch);
      span.end();
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      span.end();
      await this.failed(err, batch.length);
      return false;
    }
    spool.commit(batch.length);
    this.unacked = 0;
    producerMetrics.spoolPending.set(spool.size);
    return true;
  }

  /** A send failed: the batch (already at the spool head) stays pending for the same producer, unless its state is gone. */
  private async failed(err: unknown, count: number): Promise<void> {
    this.lastError = err;
    this.mode = 'spooling';
    this.unacked = count;
    this.spool!.markPendingHead(count);
    if (producerStateBroken(err)) await this.replaceProducer();
    this.scheduleReconnect();
  }

  /** Drains the spool oldest-first while live; new records are spooled behind it until it is empty. */
  private drainSpool(): Promise<void> {
    if (!this.spool) return Promise.resolve();
    if (!this.draining) {
      const run = (async () => {
        while (this.mode === 'live' && !this.closed && this.spool!.size > 0) {
          if (!(await this.exclusive(() => (this.mode === 'live' ? this.drainOne() : Promise.resolve(false))))) break;
        }
      })();
      // Cleared only if still current: a run that finishes at once must not leave a stale, settled promise behind
      // (that stale promise is what kept the spool from ever draining again after an outage).
      const tracked: Promise<void> = run.finally(() => {
        if (this.draining === tracked) this.draining = null;
      });
      this.draining = tracked;
    }
    return this.draining;
  }

  private get maxBatch(): number {
    return this.opts.maxBatchRecords ?? 500;
  }

  private async produce(records: readonly SpooledRecord[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: Buffer; headers?: Record<string, string> }[]>();
    for (const r of records) {
      let l = byTopic.get(r.topic);
      if (!l) byTopic.set(r.topic, (l = []));
      l.push(r.traceparent ? { key: r.key, value: r.value, headers: { traceparent: r.traceparent } } : { key: r.key, value: r.value });
    }
    await this.producer!.sendBatch({ acks: -1, compression: CompressionTypes.GZIP, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    this.sent += records.length;
    producerMetrics.recordsSent.inc(records.length);
  }

  private toSpool(records: SpooledRecord[]): void {
    if (!this.spool) {
      if (this.lastError === null) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, 'KafkaSink: records sent before start() connected it; await sink.start() first');
      throw unreachable(this.brokers, this.lastError);
    }
    const before = this.spool.droppedRecords;
    this.spool.append(records);
    // A full spool dropped its head: the pending batch is no longer intact (its loss is counted as dropped).
    if (this.spool.droppedRecords !== before) this.unacked = 0;
    this.spooled += records.length;
    producerMetrics.spooled.inc(records.length);
    producerMetrics.spoolDropped.inc(this.spool.droppedRecords - before);
    producerMetrics.spoolPending.set(this.spool.size);
  }

  /** Queues one encoded record; sends a batch when the queue is full. */
  async send(topic: string, key: string, value: Buffer): Promise<void> {
    this.queue.push({ topic, key, value });
    if (this.queue.length >= this.maxBatch) await this.flush();
  }

  /** Sends (or spools) everything queued. */
  async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const span = batchSpan('produce', batch);
    const tp = spanTraceparent(span);
    if (tp) for (const r of batch) r.traceparent = tp;
    const drain = await this.exclusive(async () => {
      if (this.mode !== 'live' || !this.producer || (this.spool && this.spool.size > 0)) {
        span.setAttribute('fmeaflow.spooled', true);
        this.toSpool(batch);
        return this.mode === 'live';
      }
      try {
        await this.produce(batch);
        span.setAttribute('fmeaflow.spooled', false);
        return false;
      } catch (err) {
        span.recordException(err as Error);
        if (!this.spool) {
          this.lastError = err;
          span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
          throw produceFailed(this.brokers, [...new Set(batch.map((r) => r.topic))], err);
        }
        // The spool is empty here, so the failed batch becomes its head and is re-sent as is.
        span.setAttribute('fmeaflow.spooled', true);
        this.toSpool(batch);
        await this.failed(err, batch.length);
        return false;
      }
    }).finally(() => span.end());
    if (drain) await this.drainSpool().catch(() => undefined);
  }

  /** Waits until the spool is empty and the broker has everything, or the timeout passes. */
  async waitDrained(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    await this.flush();
    while (Date.now() < until) {
      await this.lock;
      if (this.mode === 'live' && (!this.spool || this.spool.size === 0) && this.queue.length === 0) return true;
      if (this.mode === 'live' && this.spool && this.spool.size > 0) await this.drainSpool().catch(() => undefined);
      else await new Promise<void>((r) => setTimeout(r, 50));
    }
    return false;
  }

  /** Delivery counters. */
  stats(): SinkStats {
    return { sent: this.sent, spooled: this.spooled, spoolDropped: (this.spool?.droppedRecords ?? 0) + (this.spool?.corruptRecords ?? 0), spoolPending: this.spool?.size ?? 0, possibleDuplicates: this.possibleDuplicates, mode: this.mode };
  }

  /** Flushes what it can and disconnects; spooled records stay on disk for the next run. */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.draining) await this.draining.catch(() => undefined);
    await this.exclusive(async () => {
      const p = this.producer;
      this.producer = null;
      if (p) await p.disconnect().catch(() => undefined);
    });
    this.spool?.close();
  }
}
