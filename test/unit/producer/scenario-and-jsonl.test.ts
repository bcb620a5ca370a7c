/**
 * Bad input: scenario files and JSONL records are rejected with file, line and field;
 * good JSONL lines around a bad one still come through.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario, loadScenario } from '../../../vehicle-producer/sim/scenario.ts';
import { readJsonlFile } from '../../../vehicle-producer/sources/jsonl-source.ts';
import { IssueLog } from '../../../vehicle-producer/sources/source-errors.ts';
import { SourceLocationError } from '../../../streams/errors.ts';

const GOOD = `name: t
baseTime: "2025-01-06T08:00:00Z"
durationS: 10
vehicles:
  count: 2
faults:
  - kind: can-timeout
    onsetS: 5
    params: { canId: 0x2A3 }
`;

function fails(text: string, line: number, field: string, re: RegExp): void {
  assert.throws(() => parseScenario(text, 's.yaml'), (e: unknown) => {
    assert.ok(e instanceof SourceLocationError);
    assert.equal(e.file, 's.yaml');
    assert.equal(e.line, line, e.message);
    assert.equal(e.field, field, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test('a valid scenario gets defaults filled and hex ids parsed', () => {
  const s = parseScenario(GOOD, 's.yaml');
  assert.equal(s.durationMs, 10_000);
  assert.equal(s.faults[0]!.params.canId, 0x2a3);
  assert.equal(s.faults[0]!.params.timeoutMs, 250);
  assert.equal(s.faults[0]!.vehicleShare, 0.5);
  assert.equal(s.baseTimeMs, Date.UTC(2025, 0, 6, 8));
  assert.equal(s.telemetry.sporadicTimeoutIntervalS, null, 'no sporadic timeouts unless configured');
  for (const f of ['clean', 'can-timeout', 'eeprom-verify-fail', 'harness-reflection', 'bootloader-check-fail', 'gray-release-latency']) loadScenario(`vehicle-producer/scenarios/${f}.yaml`);
});

test('scenario errors name line and field', () => {
  fails(GOOD.replace('count: 2', 'count: 0'), 5, 'vehicles.count', />= 1/);
  fails(GOOD.replace('kind: can-timeout', 'kind: can-timeuot'), 7, 'faults[0].kind', /must be one of/);
  fails(GOOD.replace('durationS: 10', 'durationS: 10\ncolour: red'), 4, 'colour', /unknown field 'colour'/);
  fails(GOOD.replace('{ canId: 0x2A3 }', '{ canId: 0x2A3, timeoutMS: 3 }'), 9, 'faults[0].params.timeoutMS', /unknown parameter 'timeoutMS'.*timeoutMs/);
  fails(GOOD.replace('{ canId: 0x2A3 }', '{ canId: 0x900 }'), 9, 'faults[0].params.canId', /standard CAN id/);
  fails(GOOD.replace('onsetS: 5', 'onsetS: 12'), 8, 'faults[0].onsetS', /not before the end/);
  fails(GOOD.replace('baseTime: "2025-01-06T08:00:00Z"\n', ''), 1, 'baseTime', /missing required field 'baseTime'/);
  fails(GOOD.replace('durationS: 10', 'durationS: "ten"'), 3, 'durationS', /must be number/);
  fails(GOOD.replace('vehicles:', 'telemetry:\n  sporadicTimeoutIntervalS: [30, 10]\nvehicles:'), 5, 'telemetry.sporadicTimeoutIntervalS', /min 30 s is above max 10 s/);
  fails(GOOD.replace('vehicles:', 'telemetry:\n  sporadicTimeoutIntervalS: [0, 10]\nvehicles:'), 5, 'telemetry.sporadicTimeoutIntervalS[0]', /must be > 0/);
  assert.throws(() => parseScenario('name: [unclosed\n', 'y.yaml'), /y\.yaml:\d+: YAML syntax/);
});

test('JSONL: bad lines reported with line and field, good lines kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-jsonl-'));
  try {
    const good = { vehicleId: 'V1', name: 'can_bus_error_rate', labels: { bus: 'main' }, kind: 'GAUGE', timestampMs: 1, value: 0.01, histogram: null, unit: '1' };
    const lines = [
      JSON.stringify(good),
      JSON.stringify({ ...good, kind: 'SUMMARY' }),
      '{not json',
      JSON.stringify({ ...good, timestampMs: 'yesterday' }),
      JSON.stringify({ vehicleId: 'V1', name: 'x', kind: 'COUNTER', timestampMs: 2, value: 3 }),
      JSON.stringify({ ...good, colour: 'red' }),
      JSON.stringify({ ...good, vehicleId: undefined }),
      '',
      JSON.stringify({ ...good, timestampMs: 3 }),
    ];
    const file = join(dir, 'metrics.jsonl');
    writeFileSync(file, lines.join('\n'));
    const issues = new IssueLog();
    const got = [];
    for await (const r of readJsonlFile(file, 'metrics', issues)) got.push(r);
    assert.deepEqual(got.map((r) => (r.value as { timestampMs: number }).timestampMs), [1, 2, 3]);
    assert.deepEqual(got[1]!.value, { vehicleId: 'V1', name: 'x', kind: 'COUNTER', timestampMs: 2, value: 3, labels: {}, histogram: null, unit: null });
    assert.deepEqual(issues.issues.map((i) => [i.line, i.field]), [[2, 'kind'], [3, undefined], [4, 'timestampMs'], [6, 'colour'], [7, 'vehicleId']]);
    assert.match(issues.issues[1]!.reason, /not JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
