import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDriftDetector, topologyOptionsOf } from '../../../streams/commands/worker.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';

test('--drift-detector picks the field rule by name; anything else is one CLI_BAD_ARGUMENT line', () => {
  assert.deepEqual(topologyOptionsOf({ metricGrouping: 'vehicle', spanGrouping: 'fleet', driftDetector: 'field-rule' }).driftDetector, 'field-rule');
  assert.equal(topologyOptionsOf({ metricGrouping: 'vehicle', spanGrouping: 'fleet' }).driftDetector, undefined, 'adaptive unless asked');
  for (const bad of ['', 'ewma', 'field-rule\u001b[31m', 'x'.repeat(10_000)]) {
    assert.throws(() => parseDriftDetector(bad), (e: Error & { code?: string }) => e.code === 'CLI_BAD_ARGUMENT' && e.message.length < 200 && !e.message.includes('\u001b'));
  }
  assert.throws(() => buildTopology({ app: 't', timing: DRIVE_TIMING, driftDetector: 'nope' as never }), /driftDetector "nope"/);
});
