/**
 * Replay without a broker (dry run, local schemas): real-time pacing at ×40, progress
 * callbacks up to 100 %, and the producer's Prometheus counters. Pacing is checked on its
 * schedule through a fake clock (its sleeps move only its own time), not by measuring the
 * wall time of a loaded machine; bench/replay-pacing.ts measures the real clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayDrive } from '../../../vehicle-producer/publish/replay.ts';
import type { ReplayClock } from '../../../vehicle-producer/publish/replay-clock.ts';

/** A clock at `startMs` whose sleep advances it at once, recording each requested wait. */
function fakeClock(startMs: number): ReplayClock & { sleeps: number[] } {
  let now = startMs;
  const sleeps: number[] = [];
  return { sleeps, nowMs: () => now, sleep: async (ms) => { sleeps.push(ms); now += ms; } };
}

test('pacing: ×40 schedules 120 s of event time over 3 s of clock time; progress reaches 100 %; producer metrics count it', async () => {
  const { producerRegistry } = await import('../../../vehicle-producer/producer-metrics.ts');
  const clock = fakeClock(1_700_000_000_000);
  const seen: number[] = [];
  const r = await replayDrive({ drive: 'drives/clean', dryRun: true, speed: 40, clock, onProgress: (p) => seen.push(p.fraction ?? -1) });
  assert.ok(r.eventSpanMs > 119_000);
  // The last record is due eventSpan/40 after the start; waits of 5 ms or less are not slept.
  const due = r.eventSpanMs / 40;
  assert.ok(r.elapsedMs >= due - 5 && r.elapsedMs <= due + 1, `elapsed ${r.elapsedMs} ms of clock time, due ${due} ms`);
  assert.ok(clock.sleeps.length > 100 && clock.sleeps.every((ms) => ms > 5), `${clock.sleeps.length} waits, each over 5 ms`);
  assert.ok(seen.length >= 5 && seen.at(-1) === 1, `progress fractions ${seen.join(',')}`);
  const text = await producerRegistry.metrics();
  assert.match(text, /fmeaflow_producer_frames_read_total \d+/);
  const read = Number(/fmeaflow_producer_frames_read_total (\d+)/.exec(text)![1]);
  assert.ok(read >= r.frames);
});

test('pacing: speed max never waits', async () => {
  const clock = fakeClock(0);
  const r = await replayDrive({ drive: 'drives/clean', dryRun: true, speed: 'max', clock });
  assert.ok(r.frames > 0);
  assert.deepEqual(clock.sleeps, []);
  assert.equal(r.elapsedMs, 0);
});
