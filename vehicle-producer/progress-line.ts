/**
 * A one-line progress bar for long replays on a TTY (carriage-return redraw); silent
 * when stderr is not a terminal so logs and CI output stay clean.
 */
import type { ReplayProgress } from './publish/replay.ts';

/** Returns an onProgress callback drawing to stderr, plus `done()` to end the line. */
export function progressLine(label: string, stream: NodeJS.WriteStream = process.stderr): { onProgress: (p: ReplayProgress) => void; done: () => void } {
  if (!stream.isTTY) return { onProgress: () => undefined, done: () => undefined };
  const started = Date.now();
  let drawn = false;
  return {
    onProgress(p) {
      const width = 30;
      const bar = p.fraction === null ? '' : `[${'#'.repeat(Math.round(p.fraction * width)).padEnd(width, '.')}] ${(p.fraction * 100).toFixed(0).padStart(3)}% `;
      const secs = (Date.now() - started) / 1000;
      stream.write(`\r${label} ${bar}${p.records} records, ${p.frames} frames, ${(p.frames / Math.max(secs, 0.001)).toFixed(0)} frames/s, event ${new Date(p.eventTimeMs).toISOString()}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}
