/**
 * Drives the log-cluster processor through the runtime's own PartitionTask (the class
 * both the Kafka and the replay runtime use), so timers, watermarks, DLQ routing and the
 * changelog behave as in production — without a broker.
 */
import { PartitionTask } from '../../../streams/runtime/state/partition-task.ts';
import { GlobalTableSet } from '../../../streams/runtime/state/global-table-set.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import type { OutputRecord, Processor } from '../../../streams/processors/processor.ts';
import type { LogClusterEvent } from '../../../streams/processors/logs/log-cluster-event.ts';

/** A log line as a test writes it. */
export interface TestLine {
  readonly vehicleId: string;
  readonly body: string | Uint8Array;
  readonly timestampMs: number;
  readonly traceId?: string;
  readonly service?: string;
  readonly samplingRate?: number;
}

/** One processor on one partition plus everything it produced and logged to its changelog. */
export class LogTask {
  readonly task: PartitionTask<unknown>;
  readonly events: LogClusterEvent[] = [];
  readonly dlq: OutputRecord[] = [];
  readonly late: OutputRecord[] = [];
  /** Compacted changelog: last value per key, as a restore would read it. */
  readonly changelog = new Map<string, unknown>();
  private offset = 0;

  /** Global tables the processor reads through ctx.globals (e.g. fmeaflow.drift.v1 in 'global' drift mode). */
  readonly globals = new GlobalTableSet();

  constructor(processor: Processor<any, any>, readonly partition = 0) {
    this.task = new PartitionTask(processor, partition, { late: Topics.late, dlq: Topics.dlq }, this.globals);
  }

  /** A task restored from another task's changelog (JSON round trip, as through Kafka). */
  static restoredFrom(processor: Processor<any, any>, changelog: ReadonlyMap<string, unknown>, partition = 0): LogTask {
    const t = new LogTask(processor, partition);
    for (const [k, v] of changelog) t.task.restore(k, JSON.parse(JSON.stringify(v)));
    return t;
  }

  /** Sends one log line. */
  log(line: TestLine): void {
    const value = {
      vehicleId: line.vehicleId, service: line.service ?? 'bcm', serviceVersion: null, level: 'WARN', body: line.body,
      timestampMs: line.timestampMs, traceId: line.traceId ?? null, spanId: null, attributes: {}, samplingRate: line.samplingRate ?? 1,
    };
    this.send(Topics.logs, line.vehicleId, value, line.timestampMs);
  }

  /** Sends a raw value on any topic. */
  send(topic: string, key: string, value: unknown, nowMs: number): void {
    this.task.handle({ topic, partition: this.partition, offset: String(this.offset++), key, headers: {}, rawKey: null, rawValue: null }, value, nowMs);
    const d = this.task.drain();
    for (const c of d.changelog) {
      if (c.value === null) this.changelog.delete(c.key);
      else this.changelog.set(c.key, c.value);
    }
    for (const o of d.outputs) {
      if (o.topic === Topics.logClusters) this.events.push(o.value as LogClusterEvent);
      else if (o.topic === Topics.dlq) this.dlq.push(o);
      else if (o.topic === Topics.late) this.late.push(o);
    }
  }
}
