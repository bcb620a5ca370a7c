/**
 * Test helper: a few processors on one partition, run by the engine's one driver outside Kafka (the
 * replay runtime over PartitionTask), with global-table records placed into the stream at their event
 * time and an end-of-input flush to a given event time. The result keeps the shape the drift tests read.
 */
import type { OutputRecord, Processor, ProcessorEvent } from '../../streams/processors/processor.ts';
import { replay, type ReplayRecord } from '../../streams/runtime/replay/replay.ts';

/** A record to feed. */
export interface FeedRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
}

/** A global table record with the event time at which it takes effect. */
export interface GlobalRecord extends FeedRecord {
  readonly eventTimeMs: number;
}

export interface DriverResult {
  readonly outputs: OutputRecord[];
  /** Dead letters: the processor, the source topic and key, and the error's stable code and message. */
  readonly dlq: { stage: string; record: { topic: string; key: string }; error: { code: string; message: string } }[];
  readonly late: OutputRecord[];
  readonly events: { stage: string; event: ProcessorEvent }[];
  /** Final store contents per processor name (partition 0). */
  readonly stores: Map<string, Map<string, unknown>>;
}

export interface DriverOptions {
  readonly globals?: readonly GlobalRecord[];
  /** Processing time handed to processors (default: the partition's largest event time). */
  readonly nowMs?: number;
  /** After the input, move every watermark to this event time and fire due timers (default: the largest event time seen). */
  readonly flushUntilMs?: number;
}

/** Runs the stages over the records, outputs chained to the stages that read them. */
export function runStages(stages: readonly Processor<any, any>[], input: readonly FeedRecord[], opts: DriverOptions = {}): DriverResult {
  const timeOf = (r: FeedRecord): number => {
    const p = stages.find((s) => s.inputTopics.includes(r.topic));
    try { return p ? p.eventTimeMs(r.value, r.topic) : Number.NaN; } catch { return Number.NaN; }
  };
  const globals = [...(opts.globals ?? [])].sort((a, b) => a.eventTimeMs - b.eventTimeMs);
  const records: ReplayRecord[] = [];
  let gi = 0;
  let maxT = Number.NEGATIVE_INFINITY;
  for (const r of input) {
    const t = timeOf(r);
    if (Number.isFinite(t)) {
      while (gi < globals.length && globals[gi]!.eventTimeMs <= t) { const g = globals[gi++]!; records.push({ topic: g.topic, key: g.key, value: g.value, partition: 0 }); }
      maxT = Math.max(maxT, t);
    }
    records.push({ topic: r.topic, key: r.key, value: r.value, partition: 0 });
  }
  for (; gi < globals.length; gi++) records.push({ topic: globals[gi]!.topic, key: globals[gi]!.key, value: globals[gi]!.value, partition: 0 });
  const r = replay(stages, records, { ...(opts.nowMs !== undefined ? { nowMs: opts.nowMs } : {}), endOfInputAtMs: opts.flushUntilMs ?? maxT });
  return {
    outputs: Object.values(r.outputs).flat(),
    dlq: r.dlq.map((d) => {
      const v = d.value as { processor: string | null; sourceTopic: string; errorCode: string; errorMessage: string };
      return { stage: v.processor ?? '', record: { topic: v.sourceTopic, key: d.key }, error: { code: v.errorCode, message: v.errorMessage } };
    }),
    late: r.late,
    events: r.events.map((e) => ({ stage: e.processor, event: e.event })),
    stores: new Map(Object.entries(r.finalState).map(([name, parts]) => [name, new Map(Object.entries(parts[0] ?? {}))])),
  };
}
