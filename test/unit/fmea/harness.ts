/**
 * One processor under test on the one driver: a ReplaySession (the replay runtime over PartitionTask, as the worker runs
 * it) with the processor on partition 0, so a unit test sees the engine's watermarks, timers, late and dead-letter routing,
 * not a hand-written loop's. Global tables are set as maps (`tables`) and reach the processor as records of their topic,
 * validated as a worker validates them; event time moves by hand with `advanceTo`.
 */
import type { Processor, ProcessorEvent, TimerRequest } from '../../../streams/processors/processor.ts';
import { ReplaySession } from '../../../streams/runtime/replay/replay.ts';
import type { OutputRecord } from '../../../streams/processors/processor.ts';

/** Drives one processor: feed records, move event time, read its outputs, store and timers. */
export class Driver<S, V> {
  /** Global tables by topic; changes (also in place) are published to the processor before the next feed or advance. */
  readonly tables = new Map<string, Map<string, unknown>>();
  /** Every event the processor reported, in order. */
  readonly events: ProcessorEvent[] = [];
  /** Records routed to the late and dead-letter topics, in order. */
  readonly late: OutputRecord[] = [];
  readonly dlq: OutputRecord[] = [];
  private readonly session: ReplaySession;

  constructor(readonly proc: Processor<S, V>) {
    this.session = new ReplaySession([proc]);
  }

  private get task() {
    return this.session.task(this.proc, 0);
  }

  /** The processor's state store on partition 0. */
  get store(): { readonly map: ReadonlyMap<string, S>; get(key: string): S | undefined } {
    const data = this.task.data as Map<string, S>;
    return { map: data, get: (k) => data.get(k) };
  }

  /** Pending timers by id. */
  get timers(): ReadonlyMap<string, TimerRequest> {
    return new Map([...this.task.timers.all()].map((t) => [t.id, t]));
  }

  get watermark(): number {
    return this.task.clock.watermarkMs;
  }

  /** Global records the table validators refused (the worker logs and counts these). */
  get rejectedGlobals() {
    return this.session.result().rejectedGlobals;
  }

  /** Publishes what changed in `tables` as records of the global topics (tombstones for removed keys). */
  private syncTables(): void {
    for (const [topic, table] of this.tables) {
      const current = this.session.globalTable(topic);
      for (const key of [...current.keys()]) if (!table.has(key)) this.session.push({ topic, key, value: null, partition: 0 });
      for (const [key, value] of table) if (current.get(key) !== value) this.session.push({ topic, key, value, partition: 0 });
    }
  }

  private take(step: { outputs: OutputRecord[]; late: OutputRecord[]; dlq: OutputRecord[]; events: ProcessorEvent[] }): unknown[] {
    this.events.push(...step.events);
    this.late.push(...step.late);
    this.dlq.push(...step.dlq);
    return step.outputs.map((o) => o.value);
  }

  /** Processes one record (and the timers its event time makes due); returns output values. */
  feed(topic: string, value: V): unknown[] {
    this.syncTables();
    return this.take(this.session.push({ topic, key: '', value, partition: 0 }));
  }

  /** Moves the watermark (and the wall clock) to `watermarkMs`, firing every timer due by then; returns output values. */
  advanceTo(watermarkMs: number): unknown[] {
    this.syncTables();
    return this.take(this.session.advanceTo(watermarkMs));
  }
}
