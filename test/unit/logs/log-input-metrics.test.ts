import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogClusterProcessor } from '../../../streams/processors/logs/log-cluster-processor.ts';
import { RuntimeMetrics } from '../../../streams/runtime/observability/metrics.ts';
import { applyChangelogRecord } from '../../../streams/runtime/logs/changelog-templates.ts';
import { LogTask } from './log-task-harness.ts';

const T0 = 1_764_000_000_000;

test('bad log input counted in the store reaches /metrics as fmeaflow_log_input_lines{partition,kind}', async () => {
  const t = new LogTask(createLogClusterProcessor({ maxLineChars: 100 }), 3);
  t.log({ vehicleId: 'V', body: '', timestampMs: T0 });
  t.log({ vehicleId: 'V', body: '   ', timestampMs: T0 + 1 });
  t.log({ vehicleId: 'V', body: new Uint8Array(Array.from({ length: 64 }, (_, i) => (i * 37) % 256)), timestampMs: T0 + 2 });
  t.log({ vehicleId: 'V', body: `door ${'x'.repeat(500)}`, timestampMs: T0 + 3 });
  t.log({ vehicleId: 'V', body: 'ok line', timestampMs: T0 + 4 });
  const metrics = new RuntimeMetrics();
  // What the worker's changelog follower does with each committed record.
  for (const [key, value] of t.changelog) applyChangelogRecord({ metrics }, t.partition, key, JSON.stringify(value));
  const text = await metrics.registry.metrics();
  const value = (kind: string) => Number(new RegExp(`fmeaflow_log_input_lines\\{partition="3",kind="${kind}"\\} (\\S+)`).exec(text)?.[1]);
  assert.equal(value('empty'), 2);
  assert.equal(value('binary'), 1);
  assert.equal(value('truncated'), 1);
  assert.equal(value('window_overflow'), 0);
});
