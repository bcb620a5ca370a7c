/**
 * One synthetic example per class of template-mining failure seen on log styles nobody tuned for (issue 18), and the
 * stable-id contract of merges and splits, through the miner alone and through the processor's changelog.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskLine } from '../../../streams/processors/logs/masking.ts';
import { TemplateMiner } from '../../../streams/processors/logs/template-miner.ts';
import { createLogClusterProcessor, type LogClusterConfig } from '../../../streams/processors/logs/log-cluster-processor.ts';
import { DEFAULT_TREND_OPTIONS } from '../../../streams/processors/logs/cluster-trends.ts';
import { LogTask } from './log-task-harness.ts';

/** Mines `lines` in order and returns the template each one belongs to at the end (merges and splits applied). */
function finalTemplates(lines: readonly string[]): number[] {
  const m = new TemplateMiner();
  for (const l of lines) m.add(maskLine(l), 0);
  return lines.map((l) => m.match(maskLine(l))!);
}

const distinct = (xs: readonly number[]) => new Set(xs).size;

test('variable-length variables: a quantity with and without its bracketed restatement, a quoted value with spaces, a list of ids of any length, one template each', () => {
  const sent = finalTemplates(['uplink flushed 89652 bytes (87.5 KB) to gateway', 'uplink flushed 497 bytes to gateway', 'uplink flushed 1200 bytes (1.2 KB) to gateway']);
  assert.equal(distinct(sent), 1, `one template for the uplink lines, got ${sent}`);
  const quoted = finalTemplates(['profile "night drive" applied to cabin', 'profile "eco" applied to cabin', 'profile "sport plus max" applied to cabin']);
  assert.equal(distinct(quoted), 1, `one template for the profile lines, got ${quoted}`);
  const lists = finalTemplates(['purge frames f-1001 f-1002 from cache', 'purge frames f-2001 from cache', 'purge frames f-3001 f-3002 f-3003 from cache']);
  assert.equal(distinct(lists), 1, `one template for the purge lines, got ${lists}`);
});

test('variable-length variables the masking cannot normalise: a duration of one or two parts joins one template at any token count, and a different event of another length does not', () => {
  const trips = finalTemplates(['trip 17 ended after 12 min', 'trip 18 ended after 1 h 5 min', 'trip 19 ended after 2 h 40 min', 'trip 20 ended after 7 min']);
  assert.equal(distinct(trips), 1, `one template for the trip lines, got ${trips}`);
  const links = finalTemplates(['link 4 closed after 2210 frames, lifetime 00:03', 'link 5 closed after 310 frames, lifetime <1 sec', 'link 6 closed after 95 frames, lifetime <1 sec', 'link 7 closed after 12 frames, lifetime 01:12']);
  assert.equal(distinct(links), 1, `one template for the link lines, got ${links}`);
  // Two constant words more are another event, not a longer variable.
  const denied = finalTemplates(['access denied for driver from 10.1.1.1', 'access denied for unknown account guest from 10.1.1.2', 'access denied for driver from 10.1.1.3']);
  assert.notEqual(denied[0], denied[1], 'an unknown account is a different event');
  assert.equal(denied[0], denied[2]);
  // One constant word more beside a variable is another event, not a longer variable.
  const cr = finalTemplates(['fault code 7 cleared', 'fault code 9 cleared', 'fault code field 7 cleared']);
  assert.notEqual(cr[0], cr[2], 'a constant word more is not a variable');
});

test('a template filed under several lengths keeps one id through a snapshot and a restore', () => {
  const m = new TemplateMiner();
  const short = m.add(maskLine('trip 1 ended after 12 min'), 1).templateId;
  const long = m.add(maskLine('trip 2 ended after 1 h 5 min'), 2);
  assert.equal(long.templateId, short, 'the longer line joins the template');
  assert.equal(m.add(maskLine('trip 3 ended after 3 h 1 min'), 3).templateId, short);
  const restored = TemplateMiner.restore(JSON.parse(JSON.stringify(m.snapshot())));
  for (const l of ['trip 4 ended after 9 min', 'trip 5 ended after 4 h 2 min']) {
    assert.equal(restored.add(maskLine(l), 4).templateId, short, `${l} joins the same id after a restore`);
  }
});

test('masking order: host:port is one variable, so two hosts in the first (tree-key) position do not split a template', () => {
  const ids = finalTemplates(['gw.fleet.example:5070 accepted session', 'relay.fleet.example:443 accepted session', 'edge.fleet.example:8883 accepted session']);
  assert.equal(distinct(ids), 1, `one template, got ${ids}`);
});

test('digits inside words: protocol and codec names stay constants and do not merge unrelated templates', () => {
  const ids = finalTemplates(['SOCKS5 tunnel opened', 'HTTP2 tunnel opened', 'SOCKS5 tunnel opened', 'HTTP2 tunnel opened']);
  assert.notEqual(ids[0], ids[1], 'SOCKS5 and HTTP2 tunnels are different events');
  assert.deepEqual(maskLine('A2dp stream mp4 at 48 kHz'), ['A2dp', 'stream', 'mp4', 'at', '<NUM>', 'kHz']);
  // Two or more digits make an id, as before.
  assert.deepEqual(maskLine('node r17c04 down'), ['node', '<*>', 'down']);
});

test('short messages that differ by one constant word: Begin/End and initialization/finalization stay apart once each recurs', () => {
  const lines: string[] = [];
  for (let i = 0; i < 4; i++) lines.push(`worker ${10 + i} Begin`, `worker ${20 + i} End`, `module ${30 + i} initialization done`, `module ${40 + i} finalization done`);
  const ids = finalTemplates(lines);
  assert.notEqual(ids[0], ids[1], 'Begin and End are different events');
  assert.notEqual(ids[2], ids[3], 'initialization and finalization are different events');
  assert.equal(distinct(ids), 4, `four templates, got ${ids}`);
  // A position that takes many values is a variable and is never split.
  const users = finalTemplates(Array.from({ length: 12 }, (_, i) => `login by ${['ana', 'bo', 'cy', 'dee', 'ed', 'flo'][i % 6]} accepted`));
  assert.equal(distinct(users), 1, `one template for many users, got ${users}`);
});

test('short messages that differ by one constant word: a store initialized by one of two clients is two events once each recurs', () => {
  const lines: string[] = [];
  for (let i = 0; i < 4; i++) lines.push(`cache ${i} initialized by client alpha`, `cache ${i + 5} initialized by client beta`);
  const ids = finalTemplates(lines);
  assert.notEqual(ids[0], ids[1], 'initialized by alpha and by beta are different events');
  assert.equal(distinct(ids), 2, `two templates, got ${ids}`);
});

test('key=value / key:value in the prefix positions: values do not separate tree leaves, whatever class they were masked as', () => {
  const vis = finalTemplates(['vis=40000500 frame dropped', 'vis=c0000700 frame dropped', 'vis=00ff0001 frame dropped']);
  assert.equal(distinct(vis), 1, `vis=<NUM> and vis=<HEX> are one template, got ${vis}`);
  const modes = finalTemplates(['mode:alpha queue full', 'mode:beta queue full', 'mode:gamma queue full', 'mode:delta queue full', 'mode:omega queue full']);
  assert.equal(distinct(modes), 1, `one template for every mode, got ${modes}`);
});

test('streaming ids: a merge keeps the older id and aliases the other, a split mints ids with their origin; both survive a restore', () => {
  const m = new TemplateMiner();
  const a = m.add(maskLine('door close open 17'), 1).templateId;
  const b = m.add(maskLine('door close 23 open'), 2).templateId;
  assert.notEqual(a, b);
  const r = m.add(maskLine('door close 42 ok'), 3);
  assert.deepEqual(r.merged, { from: b, into: a }, 'the younger template merged into the older one');
  assert.equal(r.templateId, a);
  assert.equal(m.resolve(b), a, 'the merged id resolves to the survivor');
  assert.deepEqual(m.get(a)!.aliases, [b]);
  assert.equal(m.get(a)!.count, 3, 'counts of both are kept');

  const splits: { from: number; into: readonly number[] }[] = [];
  const given: number[] = [];
  for (let i = 0; i < 4; i++) {
    for (const word of ['Begin', 'End']) {
      const res = m.add(maskLine(`worker ${i} ${word}`), 10 + i);
      given.push(res.templateId);
      if (res.split) splits.push(res.split);
    }
  }
  assert.equal(splits.length, 1, 'one split');
  const [split] = splits;
  assert.equal(split!.into.length, 2);
  for (const child of split!.into) assert.equal(m.get(child)!.origin, split!.from, 'each new id says where it came from');
  assert.ok(m.get(split!.from) !== undefined, 'the parent keeps its id for any other value');
  assert.ok(given.every((id) => m.resolve(id) !== undefined), 'every id handed out still resolves');

  const restored = TemplateMiner.restore(JSON.parse(JSON.stringify(m.snapshot())));
  assert.equal(restored.resolve(b), a, 'the alias survives a restore');
  const next = ['worker 9 Begin', 'worker 9 End', 'door close 77 shut', 'worker 9 Pause'];
  assert.deepEqual(next.map((l) => restored.add(maskLine(l), 99)), next.map((l) => m.add(maskLine(l), 99)), 'a restored miner continues identically');
});

test('streaming through the processor: counts under a merged id stay with the survivor\'s cluster, whose id does not restart', () => {
  const MIN = 60_000;
  const T0 = 1_764_000_000_000 - (1_764_000_000_000 % MIN);
  const config: Partial<LogClusterConfig> = {
    windowMs: MIN, allowedLatenessMs: 0, closeDelayMs: 10_000, driftSource: 'input',
    trends: { ...DEFAULT_TREND_OPTIONS, alpha: 0.5, warmupWindows: 0, minBaselineWindows: 1, rateUpRatio: 3, minCount: 2, goneAfterWindows: 5, goneMinBaseline: 1 },
  };
  const t = new LogTask(createLogClusterProcessor(config));
  // After window 0 has closed (its close waits closeDelayMs past the window end).
  const at = (w: number, k: number) => T0 + w * MIN + 20_000 + k * 100;
  for (let k = 0; k < 5; k++) t.log({ vehicleId: 'VIN-1', body: `door close open ${k}`, timestampMs: at(0, k) });
  for (let k = 5; k < 10; k++) t.log({ vehicleId: 'VIN-1', body: `door close ${k} open`, timestampMs: at(0, k) });
  // Window 1: four times as many door lines; the two door templates merge in the middle of it.
  for (let k = 0; k < 10; k++) t.log({ vehicleId: 'VIN-1', body: `door close open ${k}`, timestampMs: at(1, k) });
  for (let k = 10; k < 20; k++) t.log({ vehicleId: 'VIN-1', body: `door close ${k} open`, timestampMs: at(1, k) });
  t.log({ vehicleId: 'VIN-1', body: 'door close 42 ok', timestampMs: at(1, 20) });
  for (let k = 21; k < 40; k++) t.log({ vehicleId: 'VIN-1', body: `door close ${k} open`, timestampMs: at(1, k) });
  t.log({ vehicleId: 'VIN-2', body: 'end of test', timestampMs: T0 + 3 * MIN + 20_000 });

  const templateKeys = [...t.changelog.keys()].filter((k) => k.startsWith('tpl:'));
  const doorRecords = templateKeys.map((k) => t.changelog.get(k) as { record: { id: number; tokens: string[]; aliases?: number[] } }).filter((v) => v.record.tokens[0] === 'door');
  assert.equal(doorRecords.length, 1, `one door template left in the changelog, got ${doorRecords.map((r) => r.record.tokens.join(' '))}`);
  const survivor = doorRecords[0]!.record;
  assert.equal(survivor.aliases?.length, 1, 'the survivor records the merged id');

  const door = t.events.filter((e) => e.templates.some((x) => x.template.startsWith('door')));
  const w0 = door.filter((e) => e.windowStartMs === T0);
  const w1 = door.filter((e) => e.windowStartMs === T0 + MIN);
  assert.ok(w0.length > 0 && w1.length > 0, 'door events in both windows');
  const inW1 = w1.flatMap((e) => e.templates).find((x) => x.templateId === `p0-t${survivor.id}`);
  assert.ok(inW1, 'the survivor appears in window 1');
  assert.deepEqual(inW1.mergedTemplateIds, [`p0-t${survivor.aliases![0]}`], 'the event names the merged id');
  assert.equal(inW1.count, 40, 'window 1 counts every door line, those counted under the merged id before the merge included');
  assert.ok(w1.every((e) => w0.some((x) => x.clusterId === e.clusterId)), 'the door cluster keeps its id across the merge');
  assert.ok(!w1.some((e) => e.eventType === 'NEW'), 'no door cluster starts over as NEW');
});

test('streaming through the processor: lines of one event at two token counts count under one template id, before and after a restore from the changelog', () => {
  const MIN = 60_000;
  const T0 = 1_764_000_000_000 - (1_764_000_000_000 % MIN);
  const config: Partial<LogClusterConfig> = {
    windowMs: MIN, allowedLatenessMs: 0, closeDelayMs: 10_000, driftSource: 'input',
    trends: { ...DEFAULT_TREND_OPTIONS, alpha: 0.5, warmupWindows: 0, minBaselineWindows: 1, rateUpRatio: 3, minCount: 2, goneAfterWindows: 5, goneMinBaseline: 1 },
  };
  const t = new LogTask(createLogClusterProcessor(config));
  const at = (w: number, k: number) => T0 + w * MIN + 20_000 + k * 100;
  for (let k = 0; k < 6; k++) t.log({ vehicleId: 'VIN-1', body: k % 2 === 0 ? `trip ${k} ended after ${k + 3} min` : `trip ${k} ended after ${k} h ${k + 2} min`, timestampMs: at(0, k) });
  t.log({ vehicleId: 'VIN-2', body: 'end of window', timestampMs: T0 + 2 * MIN + 20_000 });
  const trips = t.events.filter((e) => e.windowStartMs === T0).flatMap((e) => e.templates).filter((x) => x.template.startsWith('trip'));
  assert.equal(trips.length, 1, `one trip template in window 0, got ${trips.map((x) => x.template)}`);
  assert.equal(trips[0]!.count, 6, 'it counts the lines of both lengths');

  const restored = LogTask.restoredFrom(createLogClusterProcessor(config), t.changelog);
  for (let k = 0; k < 4; k++) restored.log({ vehicleId: 'VIN-1', body: k % 2 === 0 ? `trip ${k} ended after 9 min` : `trip ${k} ended after 2 h 1 min`, timestampMs: at(3, k) });
  restored.log({ vehicleId: 'VIN-2', body: 'end of window', timestampMs: T0 + 5 * MIN + 20_000 });
  const records = [...restored.changelog.entries()].filter(([k]) => k.startsWith('tpl:'))
    .map(([, v]) => (v as { record: { id: number; tokens: string[]; count: number } }).record).filter((r) => r.tokens[0] === 'trip');
  assert.deepEqual(records.map((r) => [`p0-t${r.id}`, r.count]), [[trips[0]!.templateId, 10]], 'after the restore the lines of both lengths still go to the one template');
});
