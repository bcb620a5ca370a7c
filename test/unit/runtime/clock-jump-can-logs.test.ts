import { test } from 'node:test';
import assert from 'node:assert/strict';
import { replay, type ReplayRecord } from '../../../streams/runtime/replay/replay.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';

const T0 = Date.UTC(2026, 10, 24, 8);
const JUMP_MS = 20 * 60_000;

/** Two vehicles on one partition, a CAN batch and a log line per second each; V1's clock jumps 20 min ahead at t = 60 s. */
function drive(): ReplayRecord[] {
  const recs: ReplayRecord[] = [];
  for (let i = 0; i < 120; i++) {
    for (const vehicleId of ['V1', 'V2']) {
      const t = T0 + i * 1000 + (vehicleId === 'V1' && i >= 60 ? JUMP_MS : 0);
      const frames = [{ timestampUs: t * 1000 + 500, id: 0x2a3, extended: false, fd: false, brs: false, rtr: false, error: false, dlc: 8, data: Buffer.alloc(8) }];
      recs.push({ topic: Topics.can, key: vehicleId, partition: 0, value: { vehicleId, bus: 'main', bitrateBps: 500_000, seq: i, batchStartUs: t * 1000, batchEndUs: (t + 1000) * 1000, frames, droppedFrames: 0 } });
      recs.push({ topic: Topics.logs, key: vehicleId, partition: 0, value: { vehicleId, service: 'bms', serviceVersion: '1.0.0', level: 'INFO', body: `cell balance ok ${i % 7}`, timestampMs: t, traceId: null, spanId: null, attributes: {}, samplingRate: 1 } });
    }
  }
  return recs;
}

test('can-features and log-clusters dead-letter one vehicle\'s forward clock jump (CLOCK_JUMP) instead of making the other vehicle late', () => {
  const r = replay(buildTopology({ app: 'jump-can-logs', timing: DRIVE_TIMING }), drive());
  for (const processor of ['can-features', 'log-clusters']) {
    const jumps = r.dlq.filter((o) => (o.value as { errorCode: string; processor: string }).errorCode === 'CLOCK_JUMP' && (o.value as { processor: string }).processor === processor);
    assert.equal(jumps.length, 60, `${processor}: every jumped record of V1`);
    assert.ok(jumps.every((o) => o.key === 'V1'));
    const late = r.late.filter((o) => (o.value as { processor: string }).processor === processor);
    assert.equal(late.length, 0, `${processor}: no record of V2 is late`);
  }
});
