/**
 * Hot reload as a worker sees it: the rules table changes one record (worksheet) at a time,
 * so it can pass through inconsistent states. The whole table is the candidate each time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import { RULES_ACTIVE_EVENT, RULES_REFUSED_EVENT, type RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';
import { entry, record, sheet } from './worksheet-text.ts';

const occurrenceTable = loadOccurrenceTable('fmea-rules/occurrence-table.yaml');
const T0 = 1_764_000_000_000;


function setup() {
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable }));
  const table = new Map<string, RuleSetRecord>();
  d.tables.set(Topics.rules, table as Map<string, unknown>);
  let t = T0;
  const fire = (feature: string): FmeaAction[] => (d.feed(Topics.canFeatures, { vehicleId: 'V1', bus: 'main', windowStartMs: t, windowEndMs: (t += 10_000), features: { [feature]: 0.5 }, dtcCodes: [] } as never) as FmeaAction[]);
  return { d, table, fire };
}

test('an entry moved from worksheet A to B is active from B once both records arrived, even when B arrives first', () => {
  const { d, table, fire } = setup();
  table.set('a', record('a', sheet('a', [entry('S-MV-01', 6, 'error_frame_share'), entry('S-MV-02', 5, 'nrc_share')])));
  table.set('b', record('b', sheet('b', [entry('S-MV-03', 5, 'bus_load_actual')])));
  assert.equal(fire('error_frame_share').find((a) => a.entryId === 'S-MV-01')?.severity, 6);

  // B's new version (now holding S-MV-01, with a new severity) is applied before A's.
  table.set('b', record('b', sheet('b', [entry('S-MV-03', 5, 'bus_load_actual'), entry('S-MV-01', 7, 'error_frame_share')]), 1));
  assert.equal(fire('error_frame_share').find((a) => a.entryId === 'S-MV-01')?.severity, 6, 'the inconsistent table is refused; the last good set stays');
  const refused = d.events.filter((e) => e.kind === RULES_REFUSED_EVENT);
  assert.equal(refused.length, 1);
  assert.match(String(refused[0]!.details!['error']), /duplicate entry id 'S-MV-01'/);

  // A's update arrives: the table is consistent again and must be accepted as a whole.
  table.set('a', record('a', sheet('a', [entry('S-MV-02', 5, 'nrc_share')]), 1));
  assert.equal(fire('error_frame_share').find((a) => a.entryId === 'S-MV-01')?.severity, 7);
  assert.equal(fire('nrc_share').find((a) => a.entryId === 'S-MV-02')?.severity, 5);
  assert.equal(d.events.filter((e) => e.kind === RULES_REFUSED_EVENT).length, 1);
});

test('a refused table is reported once with file, line, field and code; any later change is validated again', () => {
  const { d, table, fire } = setup();
  const good = sheet('a', [entry('S-MV-01', 6, 'error_frame_share')]);
  table.set('a', record('a', good));
  fire('error_frame_share');
  table.set('a', record('a', good.replace('severity: 6', 'severity: 11')));
  fire('error_frame_share');
  fire('error_frame_share');
  const refused = d.events.filter((e) => e.kind === RULES_REFUSED_EVENT);
  assert.equal(refused.length, 1, 'the same refused table is not re-reported per record');
  assert.equal(refused[0]!.level, 'warn');
  assert.deepEqual(
    { file: refused[0]!.details!['file'], line: refused[0]!.details!['line'], field: refused[0]!.details!['field'], code: refused[0]!.details!['code'], errorCount: refused[0]!.details!['errorCount'] },
    { file: 'fmea-rules/a.yaml', line: 9, field: 'entries[0].severity', code: 'RULE_INVALID', errorCount: 1 },
  );
  assert.equal(fire('error_frame_share').find((a) => a.entryId === 'S-MV-01')?.severity, 6);
  // A second, differently broken version is a new candidate and a new refusal.
  table.set('a', record('a', good.replace('severity: 6', 'severity: 0')));
  fire('error_frame_share');
  assert.equal(d.events.filter((e) => e.kind === RULES_REFUSED_EVENT).length, 2);
  // Going back to the good text that is already active is no change at all.
  table.set('a', record('a', good));
  assert.equal(fire('error_frame_share').find((a) => a.entryId === 'S-MV-01')?.severity, 6);
  assert.equal(d.events.filter((e) => e.kind === RULES_REFUSED_EVENT).length, 2);
});

test('the active set is reported when it changes, with its fingerprint and version', () => {
  const { d, table, fire } = setup();
  table.set('a', record('a', sheet('a', [entry('S-MV-01', 6, 'error_frame_share')]), 1000));
  fire('error_frame_share');
  fire('error_frame_share');
  table.set('a', record('a', sheet('a', [entry('S-MV-01', 8, 'error_frame_share')]), 2000));
  fire('error_frame_share');
  const active = d.events.filter((e) => e.kind === RULES_ACTIVE_EVENT);
  assert.equal(active.length, 2);
  assert.equal(active[0]!.details!['version'], 1000);
  assert.equal(active[1]!.details!['version'], 2000);
  assert.notEqual(active[0]!.details!['fingerprint'], active[1]!.details!['fingerprint']);
  assert.equal(active[1]!.details!['entries'], 1);
});
