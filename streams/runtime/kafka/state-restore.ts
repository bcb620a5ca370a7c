/**
 * Restore: rebuilds partition tasks from their changelog before they process anything, so a task that
 * moved between members, or was dropped after an abort, continues from its last committed state.
 */
import { ErrorCodes } from '../../errors.ts';
import type { GlobalTables, Processor } from '../../processors/processor.ts';
import { PartitionTask, type SideTopics } from '../state/partition-task.ts';
import { parseJsonWithBytes } from '../serde/json-bytes.ts';
import type { RuntimeMetrics } from '../observability/metrics.ts';
import type { Logger } from '../observability/logger.ts';
import type { KafkaClient } from './client.ts';
import { readToEnd, type ReadRecordRaw } from './topic-reader.ts';

export interface RestoreContext {
  readonly kafka: KafkaClient;
  readonly processor: Processor<any, any>;
  readonly side: SideTopics;
  readonly globals: GlobalTables;
  readonly changelog: string;
  readonly metrics: RuntimeMetrics;
  readonly log: Logger;
  /** Prefix of the throwaway reader group. */
  readonly groupPrefix: string;
}

export interface Restored {
  readonly tasks: Map<number, PartitionTask<any>>;
  readonly records: number;
  readonly seconds: number;
}

/** A changelog record's key and state value, or why its value is unreadable (not JSON: the caller skips it). */
export function changelogEntry(r: Pick<ReadRecordRaw, 'key' | 'value'>): { key: string; value: unknown } | { key: string; unreadable: string } {
  const key = r.key?.toString('utf8') ?? '';
  if (r.value === null) return { key, value: null };
  try {
    return { key, value: parseJsonWithBytes(r.value.toString('utf8')) };
  } catch (err) {
    return { key, unreadable: (err as Error).message };
  }
}

/** Fresh tasks for `partitions`, filled from the changelog to its end. */
export async function restorePartitions(ctx: RestoreContext, partitions: readonly number[], keepAlive: () => Promise<void>): Promise<Restored> {
  const started = process.hrtime.bigint();
  const name = ctx.processor.name;
  const tasks = new Map(partitions.map((p) => [p, new PartitionTask<any>(ctx.processor, p, ctx.side, ctx.globals)]));
  const records = await readToEnd(
    ctx.kafka,
    ctx.changelog,
    partitions,
    (r) => {
      const entry = changelogEntry(r);
      if ('unreadable' in entry) {
        // Only the engine writes changelogs; a record it cannot read (written by something else) must not stop every
        // restore of the partition. The key keeps what earlier records of it restored.
        ctx.metrics.processorEvents.inc({ processor: name, kind: 'changelog_record_unreadable' });
        ctx.log.error('changelog record is not JSON; skipped on restore', { changelog: ctx.changelog, partition: r.partition, key: entry.key.slice(0, 200), code: ErrorCodes.INVALID_RECORD, err: entry.unreadable });
        return;
      }
      tasks.get(r.partition)!.restore(entry.key, entry.value);
    },
    { keepAlive, groupPrefix: ctx.groupPrefix },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  ctx.metrics.restoreSeconds.observe({ processor: name }, seconds);
  ctx.metrics.restoreRecords.inc({ processor: name }, records);
  ctx.log.info('restored state', { partitions, records, seconds: Number(seconds.toFixed(3)), keys: [...tasks.values()].reduce((n, t) => n + t.data.size, 0) });
  return { tasks, records, seconds };
}

/**
 * Restores the partitions of `wanted` that have no task in `tasks` and adds their tasks (and state-size
 * gauges); undefined when none was missing.
 */
export async function restoreMissingTasks(ctx: RestoreContext, tasks: Map<number, PartitionTask<any>>, wanted: readonly number[], keepAlive: () => Promise<void>): Promise<{ partitions: number[]; records: number; seconds: number } | undefined> {
  const missing = [...new Set(wanted)].filter((p) => !tasks.has(p));
  if (missing.length === 0) return undefined;
  const r = await restorePartitions(ctx, missing, keepAlive);
  for (const [p, t] of r.tasks) {
    tasks.set(p, t);
    ctx.metrics.stateKeys.set({ processor: ctx.processor.name, partition: String(p) }, t.data.size);
  }
  return { partitions: missing, records: r.records, seconds: r.seconds };
}
