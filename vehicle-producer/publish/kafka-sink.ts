/**
 * Where encoded records go: an idempotent kafkajs producer (acks=-1, GZIP, the default
 * murmur2 partitioner so keys land where every other client puts them), fronted by the
 * disk spool. While the broker cannot be reached — at start or after a failed send —
 * records go to the spool in order; a background retry reconnects and drains the spool
 * oldest-first before any new record is sent, so per-key order survives an outage.
 */
import kafkajs from 'kafkajs';
import type { Producer } from 'kafkajs';
import { DiskSpool, type SpooledRecord } from '../spool/disk-spool.ts';
import { producerMetrics } from '../producer-metrics.ts';

const { Kafka, CompressionTypes, Partitioners, logLevel } = kafkajs;

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
  mode: 'live' | 'spooling';
}

/** Buffered, spool-backed Kafka writer. */
export class KafkaSink {
  private brokers: string[];
  private producer: Producer | null = null;
  private queue: SpooledRecord[] = [];
  private readonly spool: DiskSpool | null;
  private mode: 'live' | 'spooling' = 'spooling';
  private reconnectTimer: NodeJS.Timeout | null = null;
  private draining: Promise<void> | null = null;
  private connecting: Promise<boolean> | null = null;
  private closed = false;
  sent = 0;
  spooled = 0;
  lastError: unknown = null;

  constructor(private readonly opts: KafkaSinkOptions) {
    this.brokers = [...opts.brokers];
    this.spool = opts.spoolDir ? new DiskSpool({ dir: opts.spoolDir, ...(opts.spoolMaxBytes ? { maxBytes: opts.spoolMaxBytes } : {}) }) : null;
  }

  /** Connects (or starts spooling when the broker is down and a spool is configured). */
  async start(): Promise<void> {
    if (await this.tryConnect()) {
      await this.drainSpool();
      return;
    }
    if (!this.spool) throw this.lastError;
    this.scheduleReconnect();
  }

  /** Points the sink at other brokers (e.g. after a failover) and reconnects now. */
  async switchBrokers(brokers: string[]): Promise<void> {
    if (this.connecting) await this.connecting;
    this.brokers = [...brokers];
    await this.disconnectProducer();
    this.mode = 'spooling';
    if (await this.tryConnect()) await this.drainSpool();
    else this.scheduleReconnect();
  }

  /** Serialised: a reconnect timer and switchBrokers must never race two producers into existence. */
  private tryConnect(): Promise<boolean> {
    if (!this.connecting) this.connecting = this.connectOnce().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connectOnce(): Promise<boolean> {
    if (this.closed) return false;
    if (this.producer && this.mode === 'live') return true;
    const kafka = new Kafka({
      clientId: this.opts.clientId ?? 'fmeaflow-vehicle-producer',
      brokers: this.brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: this.opts.connectionTimeoutMs ?? 1500,
      retry: { initialRetryTime: 100, retries: 2, maxRetryTime: 1000 },
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 5, initialRetryTime: 100 } });
    try {
      await producer.connect();
      if (this.closed) {
        await producer.disconnect().catch(() => undefined);
        return false;
      }
      this.producer = producer;
      this.mode = 'live';
      return true;
    } catch (err) {
      this.lastError = err;
      await producer.disconnect().catch(() => undefined);
      return false;
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void (async () => {
        if (this.mode === 'live' || this.closed) return;
        if (await this.tryConnect()) await this.drainSpool().catch(() => this.scheduleReconnect());
        else this.scheduleReconnect();
      })();
    }, this.opts.reconnectMs ?? 1000);
    this.reconnectTimer.unref();
  }

  /** Drains the spool oldest segment first; new records wait (are spooled) until it is empty. */
  private drainSpool(): Promise<void> {
    if (!this.spool) return Promise.resolve();
    if (this.draining) return this.draining;
    this.draining = (async () => {
      try {
        for (let recs = this.spool!.peekOldest(); recs !== null; recs = this.spool!.peekOldest()) {
          for (let i = 0; i < recs.length; i += this.maxBatch) await this.produce(recs.slice(i, i + this.maxBatch));
          this.spool!.commitOldest();
          producerMetrics.spoolPending.set(this.spool!.size);
        }
      } catch (err) {
        this.lastError = err;
        await this.toSpoolMode();
        throw err;
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  private get maxBatch(): number {
    return this.opts.maxBatchRecords ?? 500;
  }

  private async produce(records: readonly SpooledRecord[]): Promise<void> {
    const byTopic = new Map<string, { key: string; value: Buffer }[]>();
    for (const r of records) {
      let l = byTopic.get(r.topic);
      if (!l) byTopic.set(r.topic, (l = []));
      l.push({ key: r.key, value: r.value });
    }
    await this.producer!.sendBatch({ acks: -1, compression: CompressionTypes.GZIP, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    this.sent += records.length;
    producerMetrics.recordsSent.inc(records.length);
  }

  private async toSpoolMode(): Promise<void> {
    this.mode = 'spooling';
    await this.disconnectProducer();
    this.scheduleReconnect();
  }

  private async disconnectProducer(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    if (p) await p.disconnect().catch(() => undefined);
  }

  private toSpool(records: SpooledRecord[]): void {
    if (!this.spool) throw this.lastError ?? new Error('broker unreachable and no spool configured');
    const before = this.spool.droppedRecords;
    this.spool.append(records);
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
    if (this.draining) await this.draining.catch(() => undefined);
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    if (this.mode !== 'live' || (this.spool && this.spool.size > 0)) {
      this.toSpool(batch);
      if (this.mode === 'live') await this.drainSpool().catch(() => undefined);
      return;
    }
    try {
      await this.produce(batch);
    } catch (err) {
      // A failed request may be partly written; idempotence dedups retries within one producer session only.
      this.lastError = err;
      this.toSpool(batch);
      await this.toSpoolMode();
    }
  }

  /** Waits until the spool is empty and the broker has everything, or the timeout passes. */
  async waitDrained(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    await this.flush();
    while (Date.now() < until) {
      if (this.mode === 'live' && (!this.spool || this.spool.size === 0) && this.queue.length === 0) return true;
      if (this.mode === 'live' && this.spool && this.spool.size > 0) await this.drainSpool().catch(() => undefined);
      else await new Promise<void>((r) => setTimeout(r, 50));
    }
    return false;
  }

  /** Delivery counters. */
  stats(): SinkStats {
    return { sent: this.sent, spooled: this.spooled, spoolDropped: this.spool?.droppedRecords ?? 0, spoolPending: this.spool?.size ?? 0, mode: this.mode };
  }

  /** Flushes what it can and disconnects; spooled records stay on disk for the next run. */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.connecting) await this.connecting;
    if (this.draining) await this.draining.catch(() => undefined);
    await this.disconnectProducer();
    this.spool?.close();
  }
}
