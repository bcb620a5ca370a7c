/**
 * The wall-clock ticker: fires wall-clock timers of partitions that receive no records (a batch fires
 * them otherwise), and commits what they produced. Without it a silent vehicle's open windows and
 * heartbeat timeouts would wait for its next record.
 */
import type { PartitionTask, TaskDrain } from '../state/partition-task.ts';

/** Fires the task's due wall-clock timers and hands what they produced, if anything, to `commit`. */
export async function fireIdleTimers(task: PartitionTask<any>, nowMs: number, commit: (drain: TaskDrain) => Promise<void>): Promise<void> {
  task.fireWallClock(nowMs);
  if (task.pending) await commit(task.drain());
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
