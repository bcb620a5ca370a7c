/**
 * What the runner counts after each successful commit: records in and out, late and dead-lettered
 * records, batch time, per-record latency (append time to commit), lag and state size. Counted only
 * after the commit, so an aborted batch that is re-read is never counted twice.
 */
import type { TaskDrain } from '../state/partition-task.ts';
import type { RuntimeMetrics } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import { reportProcessorEvents } from '../observability/processor-events.ts';

export interface CommittedBatch {
  /** '' for a timer-only commit. */
  readonly topic: string;
  readonly partition: number;
  readonly processed: number;
  readonly drain: TaskDrain;
  /** Date.now() when the batch (or tick) started. */
  readonly startedMs: number;
  /** Append times of the committed input records, and the partition's lag after them (absent for timer commits). */
  readonly input?: { readonly timestampsMs: readonly number[]; readonly lag: number };
  /** Keys in the partition's state store now, when it has one. */
  readonly stateKeys?: number;
}

export function recordCommit(m: RuntimeMetrics, log: Logger, processor: string, c: CommittedBatch, nowMs = Date.now()): void {
  if (c.processed > 0) m.recordsIn.inc({ processor, topic: c.topic }, c.processed);
  const perTopic = new Map<string, number>();
  for (const o of c.drain.outputs) perTopic.set(o.topic, (perTopic.get(o.topic) ?? 0) + 1);
  for (const [t, n] of perTopic) m.recordsOut.inc({ processor, topic: t }, n);
  if (c.drain.late > 0) m.late.inc({ processor }, c.drain.late);
  for (const d of c.drain.dlq) m.dlq.inc({ processor, code: d.code });
  if (c.drain.events.length > 0) reportProcessorEvents(log, m, processor, c.drain.events);
  m.txnCommits.inc({ processor });
  m.batchSeconds.observe({ processor }, (nowMs - c.startedMs) / 1000);
  if (c.input) {
    for (const ts of c.input.timestampsMs) m.recordLatencySeconds.observe({ processor }, Math.max(0, nowMs - ts) / 1000);
    m.consumerLag.set({ processor, topic: c.topic, partition: String(c.partition) }, c.input.lag);
  }
  if (c.stateKeys !== undefined) m.stateKeys.set({ processor, partition: String(c.partition) }, c.stateKeys);
}
