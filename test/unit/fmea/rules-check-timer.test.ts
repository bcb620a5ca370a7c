import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import { RULES_REFUSED_EVENT, type RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';

const T0 = 1_764_000_000_000;
const good = readFileSync('fmea-rules/can-network.yaml', 'utf8');
const record = (yaml: string): RuleSetRecord => ({ worksheet: 'can-network', sourceFile: 'can-network.yaml', yaml, sha256: createHash('sha256').update(yaml).digest('hex'), publishedAtMs: 0, publishedBy: null });
const features = (vehicleId: string, t: number) => ({ vehicleId, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, features: { id_collision_share: 0.4, error_frame_share: 0.05 }, dtcCodes: [] });

test('a refused rule set is reported when the rules table changes, without waiting for the next evidence record', () => {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable: loadOccurrenceTable(), rulesCheckEveryMs: 5000 }));
  d.tables.set(Topics.rules, new Map([['can-network', record(good)]]));
  d.feed(Topics.canFeatures, features('V1', T0));
  assert.deepEqual(d.events.filter((e) => e.kind === RULES_REFUSED_EVENT), []);
  // A broken set arrives; no evidence follows.
  d.tables.set(Topics.rules, new Map([['can-network', record(good.replace('severity: 8', 'severity: 11'))]]));
  d.advanceTo(T0 + 5000);
  const refused = d.events.filter((e) => e.kind === RULES_REFUSED_EVENT);
  assert.equal(refused.length, 1, 'refused on the periodic check');
  assert.equal(refused[0]!.details?.['field'], 'entries[1].severity');
  // The check renews itself, and the same refused table is not reported again.
  d.advanceTo(T0 + 10_000);
  d.advanceTo(T0 + 15_000);
  assert.equal(d.events.filter((e) => e.kind === RULES_REFUSED_EVENT).length, 1);
  assert.ok([...d.timers.values()].some((t) => t.kind === 'wall-clock' && t.atMs > T0 + 15_000), 'the check stays armed');
  // The previous set keeps producing actions.
  const out = d.feed(Topics.canFeatures, features('V2', T0 + 20_000)) as { key: string; severity: number }[];
  assert.equal(out.find((a) => a.key === 'S-ODS-08|vehicle:V2')?.severity, 8);
});
