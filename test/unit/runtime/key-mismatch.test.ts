/**
 * Vehicle inputs are keyed by vehicle id and state downstream is kept per that id: a record whose Kafka key
 * names another vehicle (or none) is dead-lettered as RECORD_KEY_MISMATCH by every processor reading the topic,
 * for every vehicle input, and never reaches state.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes } from '../../../streams/errors.ts';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { Topics, VEHICLE_KEYED_TOPICS } from '../../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';

const T0 = Date.UTC(2026, 10, 24, 8);

function valueOf(topic: string, vehicleId: string, i: number): unknown {
  const t = T0 + i * 1000;
  switch (topic) {
    case Topics.can: return { vehicleId, bus: 'main', bitrateBps: 500_000, seq: i, batchStartUs: t * 1000, batchEndUs: (t + 1000) * 1000, frames: [{ timestampUs: t * 1000 + 500, id: 0x2a3, extended: false, fd: false, brs: false, rtr: false, error: false, dlc: 8, data: Buffer.alloc(8) }], droppedFrames: 0 };
    case Topics.logs: return { vehicleId, service: 'bms', serviceVersion: '1.0.0', level: 'INFO', body: `cell balance ok ${i % 7}`, timestampMs: t, traceId: null, spanId: null, attributes: {}, samplingRate: 1 };
    case Topics.metrics: return { vehicleId, name: 'coolant_temp', labels: { ecu: 'bms' }, kind: 'GAUGE', timestampMs: t, value: 20, histogram: null, unit: null };
    case Topics.spans: return {
      vehicleId, traceId: `${vehicleId}-${i}`.padEnd(32, '0'), spanId: `${vehicleId}${i}`.padEnd(16, '0'), parentSpanId: null, service: 'bms', serviceVersion: '2.3.1',
      name: 'bms.readStatus', kind: 'SERVER', startTimeUs: (t - 10) * 1000, endTimeUs: t * 1000, status: 'OK', statusMessage: null, attributes: {},
    };
    default: throw new Error(`no sample for ${topic}`);
  }
}

test('every processor reading a vehicle input dead-letters a record whose key is not its vehicleId (RECORD_KEY_MISMATCH), for every vehicle input', () => {
  const topology = buildTopology({ app: 'key-mismatch', timing: DRIVE_TIMING, metricGrouping: 'both', spanGrouping: 'both' });
  assert.deepEqual([...VEHICLE_KEYED_TOPICS].sort(), [Topics.can, Topics.logs, Topics.metrics, Topics.spans].sort());
  const recs: ReplayRecord[] = [];
  for (const topic of VEHICLE_KEYED_TOPICS) {
    for (let i = 0; i < 30; i++) recs.push({ topic, key: 'V1', partition: 0, value: valueOf(topic, 'V1', i) });
    // V1's partition carries a record claiming to be V2 (and one with an empty key and a 10 kB one): neither is trusted.
    recs.push({ topic, key: 'V1', partition: 0, value: valueOf(topic, 'V2', 30) });
    recs.push({ topic, key: '', partition: 0, value: valueOf(topic, 'V1', 31) });
    recs.push({ topic, key: 'x'.repeat(10_000), partition: 0, value: valueOf(topic, 'V1', 32) });
  }
  const r = replay(topology, recs);
  for (const topic of VEHICLE_KEYED_TOPICS) {
    const readers = topology.filter((p) => p.inputTopics.includes(topic)).map((p) => p.name).sort();
    assert.ok(readers.length > 0, `${topic} has readers`);
    const dead = r.dlq.map((o) => o.value as { sourceTopic: string; errorCode: string; processor: string; errorMessage: string }).filter((d) => d.sourceTopic === topic);
    const mismatches = dead.filter((d) => d.errorCode === ErrorCodes.KEY_MISMATCH);
    assert.equal(mismatches.length, 3 * readers.length, `${topic}: three mismatching records, dead-lettered once by each of ${readers.join(', ')}`);
    assert.deepEqual([...new Set(mismatches.map((d) => d.processor))].sort(), readers);
    assert.equal(dead.length, mismatches.length, `${topic}: the well-keyed records are processed, not dead-lettered`);
    assert.ok(mismatches.every((d) => d.errorMessage.length < 400), 'the untrusted key is quoted bounded');
  }
  // Nothing of the spoofed V2 reached any state.
  for (const [processor, parts] of Object.entries(r.finalState)) {
    for (const state of Object.values(parts)) {
      const spoofed = Object.entries(state).filter(([k, v]) => k.includes('V2') || JSON.stringify(v)?.includes('"V2"'));
      assert.deepEqual(spoofed.map(([k]) => k), [], `${processor} keeps no state of V2`);
    }
  }
});
