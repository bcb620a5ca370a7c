/**
 * Adaptive log sampling driven by the log stream itself: a vehicle whose services log
 * errors gets a higher sampling rate even without a can_bus_error_rate gauge, and the
 * rate in force is visible on /metrics as fmeaflow_producer_log_sampling_vehicles{rate} (vehicles per rate).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOG_WINDOW, LogSampler, samplingRateFor } from '../../../vehicle-producer/publish/log-sampler.ts';
import { replaySources } from '../../../vehicle-producer/publish/replay.ts';
import { producerRegistry } from '../../../vehicle-producer/producer-metrics.ts';

const always = (): number => 0; // keeps every line the rate allows, so kept lines show the rate

test('5 % ERROR lines and no bus gauge: the rate follows the log error share (0.55), the bus gauge still counts when higher', () => {
  const s = new LogSampler(always);
  for (let i = 0; i < LOG_WINDOW; i++) s.decide('V', i % 20 === 0 ? 'ERROR' : 'INFO');
  assert.equal(s.errorRateOf('V'), 0.05);
  assert.equal(s.rateOf('V'), samplingRateFor(0.05));
  assert.equal(s.decide('V', 'INFO'), 0.55, 'the kept line records the raised rate');
  assert.equal(s.rateOf('W'), 0.1, 'other vehicles are not affected');
  s.observeErrorRate('V', 0.2);
  assert.equal(s.rateOf('V'), 1, 'a higher bus error rate wins');
  // The window moves on: after LOG_WINDOW healthy lines the share is back to 0.
  const t = new LogSampler(always);
  for (let i = 0; i < LOG_WINDOW; i++) t.decide('V', 'ERROR');
  for (let i = 0; i < LOG_WINDOW; i++) t.decide('V', 'INFO');
  assert.equal(t.rateOf('V'), 0.1);
});

test('one early ERROR does not count as a 100 % error rate', () => {
  const s = new LogSampler(always);
  s.decide('V', 'ERROR');
  assert.equal(s.rateOf('V'), 0.1);
});

test('replay counts vehicles per sampling rate, never naming a vehicle in a label', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-sampling-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const line = (i: number, vehicleId: string, level: string): string => JSON.stringify({ vehicleId, service: 'bms', serviceVersion: '1.0', level, body: `line ${i}`, timestampMs: 1_700_000_000_000 + i, traceId: null, spanId: null, attributes: {}, samplingRate: 1 });
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) lines.push(line(i, 'VEH-SICK', i % 10 === 0 ? 'ERROR' : 'INFO'), line(i, 'VEH-OK', 'INFO'), line(i, 'VEH-OK-2', 'INFO'));
  const file = join(dir, 'logs.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const before = await producerRegistry.getSingleMetric('fmeaflow_producer_log_sampling_vehicles')!.get();
  const at = (m: typeof before, rate: number): number => m.values.find((v) => v.labels.rate === String(rate))?.value ?? 0;
  await replaySources([{ type: 'jsonl', file, kind: 'logs' }], { dryRun: true, speed: 'max' });
  const g = await producerRegistry.getSingleMetric('fmeaflow_producer_log_sampling_vehicles')!.get();
  assert.equal(at(g, samplingRateFor(0.1)) - at(before, samplingRateFor(0.1)), 1, 'one vehicle with 10 % ERROR lines at rate 1.0');
  assert.equal(at(g, 0.1) - at(before, 0.1), 2, 'two healthy vehicles at the base rate');
  const text = await producerRegistry.metrics();
  assert.ok(!text.includes('VEH-'), 'no vehicle id on any producer metric');
});
