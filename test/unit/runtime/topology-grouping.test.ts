import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { MetricRecord, SpanRecord } from '../../../streams/processors/series/input-records.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING, repartitionTopicOf, type TopologyOptions } from '../../../streams/topology.ts';

const T0 = Date.UTC(2026, 10, 24, 8);
const APP = 'grouping';

/** One minute of a gauge and a span per second from two vehicles that sit on different input partitions. */
function twoVehicles(): ReplayRecord[] {
  const recs: ReplayRecord[] = [];
  for (let i = 0; i < 60; i++) {
    for (const [vehicleId, level, partition] of [['V1', 10, 0], ['V2', 30, 1]] as const) {
      const t = T0 + i * 1000;
      const m: MetricRecord = { vehicleId, name: 'coolant_temp', labels: { ecu: 'bms' }, kind: 'GAUGE', timestampMs: t, value: level, histogram: null, unit: null };
      const s: SpanRecord = {
        vehicleId, traceId: `${vehicleId}-${i}`.padEnd(32, '0'), spanId: `${vehicleId}${i}`.padEnd(16, '0'), parentSpanId: null, service: 'bms', serviceVersion: '2.3.1',
        name: 'bms.readStatus', kind: 'SERVER', startTimeUs: (t - level) * 1000, endTimeUs: t * 1000, status: 'OK', statusMessage: null, attributes: {},
      };
      recs.push({ topic: Topics.metrics, key: vehicleId, partition, value: m }, { topic: Topics.spans, key: vehicleId, partition, value: s });
    }
  }
  return recs;
}

/** Latest baseline per series id after replaying the two vehicles. */
function baselines(opts: Partial<TopologyOptions>): Map<string, { mean: number; scope: string }> {
  const partitions = {
    [Topics.metrics]: 2, [Topics.spans]: 2,
    [repartitionTopicOf(APP, 'metrics-by-series')]: 2, [repartitionTopicOf(APP, 'spans-by-service')]: 2,
  };
  const r = replay(buildTopology({ app: APP, timing: DRIVE_TIMING, ...opts }), twoVehicles(), { partitions });
  assert.deepEqual(r.dlq.map((d) => (d.value as { errorCode: string }).errorCode), [], 'nothing dead-lettered');
  const out = new Map<string, { mean: number; scope: string }>();
  for (const o of r.outputs[Topics.baselines] ?? []) out.set(o.key, o.value as { mean: number; scope: string });
  return out;
}

test('metric and span series come out per vehicle and fleet-wide when both groupings are configured', () => {
  const b = baselines({ metricGrouping: 'both', spanGrouping: 'both' });
  const ids = [...b.keys()];
  for (const scope of ['V1', 'V2', 'fleet']) {
    assert.ok(b.has(`coolant_temp.mean{ecu="bms"}@${scope}`), `metric series @${scope} in ${ids.join(', ')}`);
    assert.ok(b.has(`span.latency.p95{operation="bms.readStatus",service="bms"}@${scope}`), `span series @${scope} in ${ids.join(', ')}`);
  }
  assert.equal(b.get('coolant_temp.mean{ecu="bms"}@V1')!.mean, 10);
  assert.equal(b.get('coolant_temp.mean{ecu="bms"}@V2')!.mean, 30);
  // The two vehicles arrive on different input partitions: only the repartition by series lets one fleet series see both.
  assert.equal(b.get('coolant_temp.mean{ecu="bms"}@fleet')!.mean, 20);
});

test('defaults stay as before: metrics per vehicle, spans fleet-wide', () => {
  const scopes = (prefix: string, b: Map<string, { scope: string }>) => [...b].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v.scope).sort();
  const b = baselines({});
  assert.deepEqual(scopes('coolant_temp.mean', b), ['V1', 'V2']);
  assert.deepEqual(scopes('span.latency.p95', b), ['fleet']);
  const fleetOnly = baselines({ metricGrouping: 'fleet', spanGrouping: 'vehicle' });
  assert.deepEqual(scopes('coolant_temp.mean', fleetOnly), ['fleet']);
  assert.deepEqual(scopes('span.latency.p95', fleetOnly), ['V1', 'V2']);
});

test('a bad grouping is refused: in the topology config, and by the worker flag before anything connects', () => {
  assert.throws(() => buildTopology({ app: APP, metricGrouping: 'per-car' as never }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /metricGrouping "per-car": use vehicle .*fleet .*or both/);
    return true;
  });
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), 'worker', '--metric-grouping', 'per-car'], { encoding: 'utf8', cwd: PROJECT_ROOT });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--metric-grouping per-car: use vehicle \(one series per vehicle\), fleet .* or both, e\.g\. --metric-grouping both \[CLI_BAD_ARGUMENT\]/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});
