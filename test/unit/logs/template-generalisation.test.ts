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
