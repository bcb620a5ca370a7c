import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SourceLocationError } from '../../../streams/errors.ts';
import type { AlertRecord } from '../../../streams/processors/alerts/alert-types.ts';
import type { DriftEvent } from '../../../streams/processors/drift/drift-types.ts';
import { lintPolicyFile } from '../../../streams/processors/suppression/policy-file.ts';
import { loadPolicyFile } from '../../../streams/config/policy-file-loader.ts';
import { replay } from '../../../streams/runtime/replay/replay.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';

const T0 = Date.UTC(2026, 10, 24, 8);
const MIN = 60_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-rules-'));

const RULES = `version: 1
policies: []
alertRules:
  - name: coolant-drift
    match: ['__name__="coolant_temp.mean"', 'scope!="fleet"']
    for: 2m
    keepFiringFor: 0s
    severity: critical
`;

function drift(w: number, phase: DriftEvent['phase'] = w === 0 ? 'ONSET' : 'ONGOING'): DriftEvent {
  const seriesId = 'coolant_temp.mean{}@V1';
  return {
    eventId: `${seriesId}#${w}`, seriesId, name: 'coolant_temp.mean', labels: {}, scope: 'V1', detector: 'Z_RULE', phase, value: 110, baselineMean: 90, baselineStdDev: 2, zScore: 10,
    chartStatistic: null, chartLimit: null, windowStartMs: T0 + w * MIN, windowEndMs: T0 + (w + 1) * MIN, firstWindowStartMs: T0, evidenceWindows: 2, driftWindows: w + 1, windowMs: MIN,
  };
}

test('alert rules come from the policy file: selected series, for and keep_firing_for', () => {
  const file = path.join(dir, 'rules.yaml');
  writeFileSync(file, RULES);
  const events = [drift(0), drift(1), drift(2), drift(3, 'RECOVERED')];
  const r = replay(buildTopology({ app: 'rules', timing: DRIVE_TIMING, policiesFile: file }), events.map((e) => ({ topic: Topics.drift, key: e.seriesId, value: e })));
  const alerts = (r.outputs[Topics.alerts] ?? []).map((o) => o.value as AlertRecord);
  assert.deepEqual(alerts.map((a) => [a.rule, a.state, a.severity, a.eventTimeMs - T0]), [
    ['coolant-drift', 'PENDING', 'critical', 1 * MIN],
    // for: 2m after it became active (the end of the onset window).
    ['coolant-drift', 'FIRING', 'critical', 3 * MIN],
    // keepFiringFor: 0s: resolved with the first window without drift.
    ['coolant-drift', 'RESOLVED', 'critical', 4 * MIN],
  ]);
});

test('bad alert rules are reported with file, line and field', () => {
  const text = RULES.replace('for: 2m', 'for: two minutes').replace('severity: critical', 'severity: urgent');
  const issues = lintPolicyFile(text, 'rules.yaml');
  assert.deepEqual(issues.map((i) => [i.line, i.field]), [[6, 'alertRules[0].for'], [8, 'alertRules[0].severity']]);
  assert.match(issues[1]!.message, /must be one of "info", "warning", "critical"/);
  const dup = path.join(dir, 'dup.yaml');
  writeFileSync(dup, `${RULES}  - name: coolant-drift\n    match: ['__name__="x"']\n`);
  assert.throws(() => loadPolicyFile(dup), (e: unknown) => e instanceof SourceLocationError && e.line === 9 && e.field === 'alertRules[1].name' && /duplicate alert rule name "coolant-drift"/.test(e.message));
});
