/**
 * Pure event-time window math shared by processors and the runtime. Windows are
 * half-open [startMs, endMs) and aligned to the epoch (plus an optional offset), so
 * every worker and the replay runtime assign a record to the same windows.
 */

/** One window: [startMs, endMs). */
export interface TimeWindow {
  readonly startMs: number;
  readonly endMs: number;
}

function floorTo(t: number, step: number, offset: number): number {
  return Math.floor((t - offset) / step) * step + offset;
}

/** The tumbling window of `sizeMs` that contains `tMs`. */
export function tumblingWindow(tMs: number, sizeMs: number, offsetMs = 0): TimeWindow {
  if (!(sizeMs > 0)) throw new RangeError(`window size must be > 0, got ${sizeMs}`);
  const startMs = floorTo(tMs, sizeMs, offsetMs);
  return { startMs, endMs: startMs + sizeMs };
}

/** Every hopping window of `sizeMs`, advancing by `advanceMs`, that contains `tMs`, oldest first. */
export function hoppingWindows(tMs: number, sizeMs: number, advanceMs: number, offsetMs = 0): TimeWindow[] {
  if (!(sizeMs > 0) || !(advanceMs > 0) || advanceMs > sizeMs) throw new RangeError(`need 0 < advance (${advanceMs}) <= size (${sizeMs})`);
  const out: TimeWindow[] = [];
  const lastStart = floorTo(tMs, advanceMs, offsetMs);
  for (let s = lastStart; s > tMs - sizeMs; s -= advanceMs) out.push({ startMs: s, endMs: s + sizeMs });
  return out.reverse();
}

/** A stable string id for a window, usable as a store key suffix or timer id. */
export function windowId(w: TimeWindow): string {
  return `${w.startMs}-${w.endMs}`;
}

/** True once a window can no longer receive on-time records: the watermark reached its end. */
export function windowClosed(w: TimeWindow, watermarkMs: number): boolean {
  return watermarkMs >= w.endMs;
}
