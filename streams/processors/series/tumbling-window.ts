/**
 * Tumbling event-time windows of the series stage, on the shared window math
 * (`../windows.ts`) so series windows line up with every other processor's windows.
 */
import { tumblingWindow } from '../windows.ts';

/** Start (inclusive) of the window of size `sizeMs` that contains `tMs`. */
export function windowStartOf(tMs: number, sizeMs: number): number {
  return tumblingWindow(tMs, sizeMs).startMs;
}

/** End (exclusive) of the window of size `sizeMs` that contains `tMs`. */
export function windowEndOf(tMs: number, sizeMs: number): number {
  return tumblingWindow(tMs, sizeMs).endMs;
}
