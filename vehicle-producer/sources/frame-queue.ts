/**
 * Turns push-style frame callbacks (live SocketCAN) into an async iterable the replay
 * pipeline can pull from; ends when `end()` is called.
 */
import type { CanFrame } from '../can-frame.ts';

/** A push→pull queue of frames. */
export class FrameQueue implements AsyncIterable<CanFrame> {
  private items: CanFrame[] = [];
  private waiter: (() => void) | null = null;
  private ended = false;

  /** Adds a frame. */
  push(f: CanFrame): void {
    this.items.push(f);
    this.waiter?.();
  }

  /** Ends the stream after the queued frames. */
  end(): void {
    this.ended = true;
    this.waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CanFrame> {
    for (;;) {
      if (this.items.length > 0) {
        const batch = this.items;
        this.items = [];
        yield* batch;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = null;
    }
  }
}
