/**
 * The wall-clock ticker: fires wall-clock timers of partitions that receive no records (a batch fires
 * them otherwise), and commits what they produced. Without it a silent vehicle's open windows and
 * heartbeat timeouts would wait for its next record.
 */
import type { PartitionTask, TaskDrain } from '../state/partition-task.ts';

/** Fires due wall-clock timers of the assigned tasks and hands each non-empty drain to `commit`, one at a time. */
export async function fireIdleTimers(
  tasks: ReadonlyMap<number, PartitionTask<any>>,
  assigned: (partition: number) => boolean,
  nowMs: number,
  commit: (partition: number, drain: TaskDrain) => Promise<void>,
): Promise<void> {
  for (const [p, task] of tasks) {
    if (!assigned(p)) continue;
    task.fireWallClock(nowMs);
    if (!task.pending) continue;
    await commit(p, task.drain());
  }
}

/** Calls `tick` every `everyMs` without keeping the process alive. */
export class WallClockTicker {
  private timer: NodeJS.Timeout | undefined;

  start(everyMs: number, tick: () => void): void {
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
