/**
 * Replay without a broker (dry run, local schemas): real-time pacing at ×40, progress
 * callbacks up to 100 %, and the producer's Prometheus counters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replayDrive } from '../../../vehicle-producer/publish/replay.ts';

test('pacing: ×40 replays 120 s of event time in about 3 s of wall time; producer metrics count it', async () => {
  const { producerRegistry } = await import('../../../vehicle-producer/producer-metrics.ts');
  const seen: number[] = [];
  const t0 = Date.now();
  const r = await replayDrive({ drive: 'drives/clean', dryRun: true, speed: 40, onProgress: (p) => seen.push(p.fraction ?? -1) });
  const wall = Date.now() - t0;
  assert.ok(r.eventSpanMs > 119_000);
  assert.ok(wall >= (r.eventSpanMs / 40) * 0.95, `too fast: ${wall} ms`);
  assert.ok(wall < (r.eventSpanMs / 40) + 3_000, `too slow: ${wall} ms`);
  assert.ok(seen.length >= 5 && seen.at(-1) === 1, `progress fractions ${seen.join(',')}`);
  const text = await producerRegistry.metrics();
  assert.match(text, /fmeaflow_producer_frames_read_total \d+/);
  const read = Number(/fmeaflow_producer_frames_read_total (\d+)/.exec(text)![1]);
  assert.ok(read >= r.frames);
});
