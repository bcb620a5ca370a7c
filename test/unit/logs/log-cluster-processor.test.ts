import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { Topics } from '../../../streams/topic-catalog.ts';
import { createLogClusterProcessor, type LogClusterConfig } from '../../../streams/processors/logs/log-cluster-processor.ts';
import { DEFAULT_TREND_OPTIONS } from '../../../streams/processors/logs/cluster-trends.ts';
import { readLogCounters, type LogStoreValue } from '../../../streams/processors/logs/log-store.ts';
import { ErrorCodes } from '../../../streams/errors.ts';
import { LogTask } from './log-task-harness.ts';

const MIN = 60_000;
const T0 = 1_764_000_000_000 - (1_764_000_000_000 % MIN);
const config: Partial<LogClusterConfig> = {
  windowMs: MIN,
  allowedLatenessMs: 0,
  closeDelayMs: 10_000,
  driftSource: 'input',
  trends: { ...DEFAULT_TREND_OPTIONS, alpha: 0.5, warmupWindows: 0, minBaselineWindows: 3, rateUpRatio: 3, minCount: 5, goneAfterWindows: 2, goneMinBaseline: 1 },
};
const eventType = avsc.Type.forSchema(JSON.parse(readFileSync(new URL('../../../schemas/log-cluster-event.avsc', import.meta.url), 'utf8')));

/** Lines of window w: `n` of each kind, spread over the window. */
function window(t: LogTask, w: number, kinds: Record<string, number>, vehicle = 'VIN-1', traceId?: string): void {
  let k = 0;
  const total = Object.values(kinds).reduce((a, b) => a + b, 0);
  for (const [kind, n] of Object.entries(kinds)) {
    for (let i = 0; i < n; i++) {
      // In order within the window: allowed lateness is 0 in these tests.
      const ts = T0 + w * MIN + 1000 + Math.floor((k++ * 50_000) / total);
      const body = kind === 'volt' ? `bus voltage ${11000 + i} mV below limit` : kind === 'hb' ? `heartbeat ok from ecu ${i % 4}` : `request timeout on CAN id 0x2A3 after ${200 + i} ms`;
      t.log({ vehicleId: vehicle, body, timestampMs: ts, ...(traceId ? { traceId } : {}) });
    }
  }
}

function clusterIdOf(t: LogTask, keyword: string): string {
  const e = t.events.find((x) => x.templates.some((tp) => tp.template.includes(keyword)));
  assert.ok(e, `an event mentions ${keyword}`);
  return e.clusterId;
}

test('new cluster, rate ×N over baseline, gone — with drift correlated by vehicle and by trace', () => {
  const t = new LogTask(createLogClusterProcessor(config));
  for (let w = 0; w < 4; w++) window(t, w, { volt: 10, hb: 10 });
  window(t, 4, { volt: 50, to: 6 }, 'VIN-1', 'trace-abc');
  // Drift events arrive after the logs of window 4 (detectors lag); their end time closes window 4.
  const drift = (vehicleId: string | null, seriesId: string, traceId?: string) => ({
    seriesId, name: 'can.bus_errors', labels: {}, vehicleId, detector: 'ewma-zscore', value: 57, zScore: 6.2,
    windowStartMs: T0 + 4 * MIN, windowEndMs: T0 + 5 * MIN, ...(traceId ? { traceId } : {}),
  });
  t.send(Topics.drift, 'VIN-1', drift('VIN-1', 'bus_errors/VIN-1'), T0 + 5 * MIN);
  t.send(Topics.drift, 'VIN-9', drift('VIN-9', 'bus_errors/VIN-9'), T0 + 5 * MIN);
  t.send(Topics.drift, 'VIN-7', drift('VIN-7', 'latency/VIN-7', 'trace-abc'), T0 + 5 * MIN);
  for (let w = 5; w < 8; w++) window(t, w, { volt: 10 });
  window(t, 8, { volt: 1 }); // closes window 7

  const volt = clusterIdOf(t, 'voltage');
  const hb = clusterIdOf(t, 'heartbeat');
  const timeout = clusterIdOf(t, 'timeout');
  assert.equal(new Set([volt, hb, timeout]).size, 3);
  const byType = (type: string, cid: string) => t.events.filter((e) => e.eventType === type && e.clusterId === cid);

  // NEW for the two clusters of window 0 (warm-up 0) and for the timeout cluster in window 4.
  assert.equal(byType('NEW', volt)[0]!.windowStartMs, T0);
  assert.equal(byType('NEW', hb)[0]!.windowStartMs, T0);
  const newTimeout = byType('NEW', timeout);
  assert.equal(newTimeout.length, 1);
  assert.equal(newTimeout[0]!.windowStartMs, T0 + 4 * MIN);
  assert.equal(newTimeout[0]!.count, 6);
  assert.ok(newTimeout[0]!.templates[0]!.template.includes('<CANID>'));
  assert.ok(newTimeout[0]!.examples.every((e) => e.traceId === 'trace-abc' && e.vehicleId === 'VIN-1'));
  // Correlation: VIN-1's drift by vehicle, VIN-7's by trace id, VIN-9's not at all.
  const corr = newTimeout[0]!.correlatedDrift.map((d) => [d.seriesId, d.matchedBy]).sort();
  assert.deepEqual(corr, [['bus_errors/VIN-1', 'VEHICLE'], ['latency/VIN-7', 'TRACE']]);

  // RATE_UP for voltage in window 4: baseline 10 (EWMA of 10,10,10,10), count 50 → ratio 5.
  const up = byType('RATE_UP', volt);
  assert.equal(up.length, 1);
  assert.equal(up[0]!.windowStartMs, T0 + 4 * MIN);
  assert.equal(up[0]!.count, 50);
  assert.equal(up[0]!.baselineCount, 10);
  assert.equal(up[0]!.ratio, 5);
  assert.deepEqual(up[0]!.vehicleCounts, [{ vehicleId: 'VIN-1', count: 50 }]);
  assert.ok(up[0]!.correlatedDrift.some((d) => d.seriesId === 'bus_errors/VIN-1'));

  // Heartbeat silent from window 4: GONE after 2 empty windows (4 and 5) → at window 5. Timeout silent from 5 → GONE at 6.
  assert.deepEqual(byType('GONE', hb).map((e) => e.windowStartMs), [T0 + 5 * MIN]);
  assert.deepEqual(byType('GONE', timeout).map((e) => e.windowStartMs), [T0 + 6 * MIN]);
  assert.equal(t.events.filter((e) => e.eventType === 'RATE_UP').length, 1, 'no other spikes');

  // Every event is valid against the published Avro schema.
  for (const e of t.events) assert.ok(eventType.isValid(e, { errorHook: (p) => assert.fail(`invalid field ${p.join('.')} in ${e.eventId}`) }));
});

test('cluster and template ids survive a restart from the changelog; both copies continue identically', () => {
  const a = new LogTask(createLogClusterProcessor(config));
  for (let w = 0; w < 3; w++) window(a, w, { volt: 5, hb: 5, to: 2 });
  const before = new Map(a.events.map((e) => [e.templates[0]!.template, e.clusterId]));
  // A fresh processor instance (nothing in memory) restored from the compacted changelog.
  const b = LogTask.restoredFrom(createLogClusterProcessor(config), a.changelog);
  const aFrom = a.events.length;
  for (const t of [a, b]) {
    for (let w = 3; w < 6; w++) window(t, w, { volt: w === 4 ? 40 : 5, hb: 5, to: 2, ...(w === 5 ? {} : {}) });
    t.log({ vehicleId: 'VIN-2', body: 'fan speed 3000 rpm out of range', timestampMs: T0 + 5 * MIN + 500 });
    window(t, 6, { volt: 1 });
  }
  const continued = a.events.slice(aFrom);
  assert.ok(continued.length > 0);
  assert.deepEqual(b.events, continued, 'restored instance emits exactly what the uninterrupted one emits');
  for (const e of b.events) {
    const old = before.get(e.templates[0]!.template);
    if (old !== undefined) assert.equal(e.clusterId, old, 'known templates keep their cluster id');
  }
  assert.ok(b.events.some((e) => e.eventType === 'RATE_UP'));
});

test('bad input: empty, binary, 1 MB and non-UTF-8 lines are counted; malformed records go to the DLQ', () => {
  const p = createLogClusterProcessor(config);
  const t = new LogTask(p);
  t.log({ vehicleId: 'V', body: '', timestampMs: T0 + 1 });
  t.log({ vehicleId: 'V', body: '   ', timestampMs: T0 + 2 });
  t.log({ vehicleId: 'V', body: new Uint8Array(300).map((_, i) => (i * 53) % 31), timestampMs: T0 + 3 });
  t.log({ vehicleId: 'V', body: `stack ${'frame '.repeat(200_000)}`, timestampMs: T0 + 4 });
  t.log({ vehicleId: 'V', body: new Uint8Array([...Buffer.from('sensor '), 0xc3, 0x28, ...Buffer.from(' out of range')]), timestampMs: T0 + 5 });
  t.send(Topics.logs, 'V', { vehicleId: 'V', body: 42, timestampMs: T0 + 6 }, T0 + 6);
  t.send(Topics.logs, 'V', { body: 'no vehicle', timestampMs: T0 + 7 }, T0 + 7);
  t.send(Topics.drift, 'V', { garbage: true }, T0 + 8);
  const store = { get: (k: string) => t.task.data.get(k) as LogStoreValue | undefined, entries: () => t.task.data.entries() as Iterable<[string, LogStoreValue]>, size: t.task.data.size };
  const c = readLogCounters(store);
  assert.equal(c.lines, 5);
  assert.equal(c.emptyLines, 2);
  assert.equal(c.binaryLines, 1);
  assert.equal(c.truncatedLines, 1);
  assert.equal(c.replacementChars, 1, 'one invalid byte (0xC3 followed by a non-continuation byte)');
  t.send(Topics.logs, 'V', { vehicleId: 'V', body: 'no time' }, T0 + 9);
  assert.equal(t.dlq.length, 4);
  for (const d of t.dlq) assert.equal((d.value as { errorCode: string }).errorCode, ErrorCodes.INVALID_RECORD);
  const messages = t.dlq.map((d) => (d.value as { errorMessage: string }).errorMessage);
  assert.match(messages[0]!, /field body/);
  assert.match(messages[1]!, /field vehicleId/);
  assert.match(messages[2]!, /drift event without windowEndMs/);
  assert.match(messages[3]!, /field timestampMs/);
  assert.equal(t.late.length, 0, 'nothing was routed as late instead');
  // The truncated line is stored cut, with its marker, not at 1.2 MB.
  const tpl = [...t.task.data.values()].filter((v) => (v as LogStoreValue).kind === 'template') as Extract<LogStoreValue, { kind: 'template' }>[];
  const long = tpl.find((x) => x.record.tokens.includes('<TRUNCATED>'));
  assert.ok(long);
  assert.ok(long.examples[0]!.text.length <= 512);
});

test('a flood of unique lines stays bounded: templates capped, evictions and unattributed lines counted, steady clusters unaffected', () => {
  const t = new LogTask(createLogClusterProcessor({ ...config, miner: { maxTemplates: 200 } }));
  for (let i = 0; i < 3000; i++) {
    // 3000 lines that share no template with each other (distinct first tokens / lengths), 40 ms apart.
    const words = Array.from({ length: (i % 9) + 2 }, (_, j) => `w${String.fromCharCode(97 + ((i * 7 + j * 3) % 26))}${String.fromCharCode(97 + ((i + j) % 26))}`);
    t.log({ vehicleId: 'V', body: `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + ((i / 26) % 26 | 0))} ${words.join(' ')}`, timestampMs: T0 + i * 40 });
    if (i % 10 === 0) t.log({ vehicleId: 'V', body: 'heartbeat ok', timestampMs: T0 + i * 40 });
  }
  const data = [...t.task.data.values()] as LogStoreValue[];
  const templates = data.filter((v) => v.kind === 'template').length;
  assert.equal(templates, 200);
  const store = { get: (k: string) => t.task.data.get(k) as LogStoreValue | undefined, entries: () => t.task.data.entries() as Iterable<[string, LogStoreValue]>, size: t.task.data.size };
  const c = readLogCounters(store);
  assert.equal(c.templateEvictions, 3001 - 200, '3000 flood templates + heartbeat, 200 live');
  // Window 0 (lines 0..1499) closes at 70 s; by then the 250 newer flood lines have evicted all of its flood templates.
  assert.equal(c.unattributedLines, 1500);
  const hb = t.events.filter((e) => e.templates.some((x) => x.template === 'heartbeat ok'));
  assert.equal(hb.length, 1);
  assert.equal(hb[0]!.eventType, 'NEW');
  assert.equal(hb[0]!.count, 150);
});

test('a flood bounds the rows of an open window too: lines beyond maxWindowRows are counted, not stored, and steady templates keep counting', () => {
  const t = new LogTask(createLogClusterProcessor({ ...config, miner: { maxTemplates: 100 }, maxWindowRows: 300 }));
  let maxRows = 0;
  for (let i = 0; i < 2000; i++) {
    // One window (40 s): unique lines from many vehicles; each founds a template and leaves a row behind when evicted.
    t.log({ vehicleId: `V${i % 50}`, body: `${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + ((i / 26) % 26 | 0))} flood ${'x '.repeat(i % 7)}end`, timestampMs: T0 + i * 20 });
    if (i % 20 === 0) t.log({ vehicleId: 'V0', body: 'heartbeat ok', timestampMs: T0 + i * 20 });
    maxRows = Math.max(maxRows, [...t.task.data.keys()].filter((k) => k.startsWith('win:')).length);
  }
  assert.equal(maxRows, 300, 'the open window never holds more rows than the bound');
  const rowLines = [...t.task.data.values()].reduce<number>((n, v) => n + ((v as LogStoreValue).kind === 'window' ? (v as { count: number }).count : 0), 0);
  window(t, 1, { hb: 1 });
  window(t, 2, { hb: 1 }); // closes window 1
  const store = { get: (k: string) => t.task.data.get(k) as LogStoreValue | undefined, entries: () => t.task.data.entries() as Iterable<[string, LogStoreValue]>, size: t.task.data.size };
  const c = readLogCounters(store);
  assert.equal(rowLines + c.windowRowOverflowLines, 2100, 'every line is in a row or in the overflow counter');
  assert.ok(c.windowRowOverflowLines > 1000);
  const hb = t.events.find((e) => e.templates.some((x) => x.template === 'heartbeat ok') && e.windowStartMs === T0);
  assert.equal(hb?.count, 100, 'the heartbeat template, which had its row before the flood filled the window, counted every line');
});

test('the learned encoder is asked only for templates it has not encoded, at window close, never per line', () => {
  const calls: string[][] = [];
  const encoder = {
    version: 'counting-v1',
    codeSize: 4,
    encode(ts: readonly (readonly string[])[]) {
      calls.push(ts.map((x) => x.join(' ')));
      return ts.map((x) => [x.length, 1, 0, 0]);
    },
  };
  // Any offered model will do: the instrumented encoder stands in for its weights.
  const offered = { version: 1, sha: 'f'.repeat(64), partition: 0, hiddenUnits: 4, tokenEmbeddingSize: 1, maxSequenceLength: 1, vocabulary: [], embeddings: '', kernel: '', recurrentKernel: '', bias: '', trainedOnTemplates: 0, finalLoss: 0, backend: 'cpu' };
  const t = new LogTask(createLogClusterProcessor({ ...config, embeddings: { latest: () => offered }, encoderOf: () => encoder }));
  for (let w = 0; w < 4; w++) window(t, w, { volt: 30, hb: 30 });
  window(t, 4, { volt: 30, hb: 30, to: 3 });
  window(t, 5, { volt: 5 }); // its last line (≈ +41 s) passes window 4's close at +10 s
  const encoded = calls.flat();
  assert.equal(calls.length, 2, 'window 0 (two new templates) and window 4 (the timeout template); no call in windows 1-3');
  assert.equal(new Set(encoded).size, encoded.length, 'no template encoded twice');
  assert.equal(encoded.length, 3);
  assert.ok(t.events.every((e) => e.embeddingVersion === 'counting-v1'));
});

test("drift from the global table (schemas/drift-event.avsc shape, key seriesId, vehicle in scope) is correlated by vehicle", () => {
  const t = new LogTask(createLogClusterProcessor({ ...config, driftSource: 'global' }));
  const example = JSON.parse(readFileSync(new URL('../../../schemas/examples/drift-event.json', import.meta.url), 'utf8'));
  const onVehicle = { ...example, seriesId: 'can.bus_errors@VIN-1', name: 'can.bus_errors', scope: 'VIN-1', zScore: 6.2, windowStartMs: T0, windowEndMs: T0 + MIN };
  const otherVehicle = { ...onVehicle, seriesId: 'can.bus_errors@VIN-2', scope: 'VIN-2' };
  const fleet = { ...onVehicle, seriesId: 'can.bus_errors@fleet', scope: 'fleet' };
  for (const d of [onVehicle, otherVehicle, fleet]) t.globals.apply(Topics.drift, d.seriesId, d);
  window(t, 0, { to: 6 });
  window(t, 1, { hb: 5 });
  const e = t.events.find((x) => x.eventType === 'NEW' && x.templates[0]!.template.includes('<CANID>'));
  assert.ok(e);
  assert.deepEqual(e.correlatedDrift.map((d) => [d.seriesId, d.vehicleId, d.matchedBy, d.detector]), [['can.bus_errors@VIN-1', 'VIN-1', 'VEHICLE', 'Z_RULE']]);
});

test('only drifting events (ONSET, ONGOING) are correlated; RECOVERED and REBASELINED ones of the same vehicle and window are not', () => {
  const t = new LogTask(createLogClusterProcessor({ ...config, driftSource: 'global' }));
  const example = JSON.parse(readFileSync(new URL('../../../schemas/examples/drift-event.json', import.meta.url), 'utf8'));
  const base = { ...example, name: 'can.bus_errors', scope: 'VIN-1', zScore: 6.2, windowStartMs: T0, windowEndMs: T0 + MIN };
  const phases = ['ONSET', 'ONGOING', 'RECOVERED', 'REBASELINED'];
  for (const phase of phases) t.globals.apply(Topics.drift, `s-${phase}@VIN-1`, { ...base, seriesId: `s-${phase}@VIN-1`, phase });
  window(t, 0, { to: 6 });
  window(t, 1, { hb: 5 });
  const e = t.events.find((x) => x.eventType === 'NEW' && x.templates[0]!.template.includes('<CANID>'));
  assert.ok(e);
  assert.deepEqual(e.correlatedDrift.map((d) => d.seriesId).sort(), ['s-ONGOING@VIN-1', 's-ONSET@VIN-1']);
});

test('a processor instance whose memory ran ahead of a rolled-back store rebuilds from the store (no stale cache)', () => {
  const shared = createLogClusterProcessor(config);
  const a = new LogTask(shared);
  for (let w = 0; w < 2; w++) window(a, w, { volt: 5, hb: 5 });
  const committed = new Map(a.changelog);
  // The shared instance goes on with records whose transaction never commits …
  window(a, 2, { volt: 30, to: 4 });
  // … while another worker, restored from the committed changelog, takes a different history to the same length.
  const other = LogTask.restoredFrom(createLogClusterProcessor(config), committed);
  window(other, 2, { hb: 30, volt: 4 });
  // The partition comes back to the shared instance, restored from what the other worker committed.
  const back = LogTask.restoredFrom(shared, other.changelog);
  const fresh = LogTask.restoredFrom(createLogClusterProcessor(config), other.changelog);
  for (const t of [back, fresh]) for (let w = 3; w < 6; w++) window(t, w, { volt: 5, hb: w === 4 ? 40 : 5 });
  assert.ok(fresh.events.length > 0);
  assert.deepEqual(back.events, fresh.events);
});

test('when a new template bridges two clusters, the survivor keeps the older id and names the merged one (UPDATE)', () => {
  const t = new LogTask(createLogClusterProcessor({ ...config, clustering: { method: 'dbscan', epsilon: 0.4, minPoints: 1 } }));
  const at = (w: number, i: number) => T0 + w * MIN + 1000 + i * 100;
  for (let i = 0; i < 5; i++) t.log({ vehicleId: 'V', body: 'alpha beta gamma delta', timestampMs: at(0, 2 * i) });
  for (let i = 0; i < 5; i++) t.log({ vehicleId: 'V', body: 'epsilon zeta eta theta', timestampMs: at(0, 2 * i + 1) });
  // Shares four of its eight tokens with each: cosine ≈ 0.7 to both, so single-linkage DBSCAN joins all three.
  for (let i = 0; i < 3; i++) t.log({ vehicleId: 'V', body: 'alpha beta gamma delta epsilon zeta eta theta', timestampMs: at(1, i) });
  for (let i = 0; i < 3; i++) t.log({ vehicleId: 'V', body: 'alpha beta gamma delta', timestampMs: at(2, 200 + i) }); // past window 1's close
  const first = t.events.filter((e) => e.windowStartMs === T0 && e.eventType === 'NEW').map((e) => e.clusterId).sort();
  assert.equal(first.length, 2);
  const update = t.events.find((e) => e.windowStartMs === T0 + MIN && e.eventType === 'UPDATE');
  assert.ok(update, 'an UPDATE in window 1');
  assert.equal(update.clusterId, first[0], 'the older id survives');
  assert.deepEqual(update.mergedClusterIds, [first[1]]);
  assert.equal(update.templates.length, 3);
  assert.ok(!t.events.some((e) => e.clusterId === first[1] && e.windowStartMs > T0), 'the merged id emits nothing more');
});

test('sampled lines count 1/samplingRate each, so a sampled healthy baseline compares with the unsampled burst of a failing vehicle', () => {
  const t = new LogTask(createLogClusterProcessor(config));
  const lines = (w: number, n: number, samplingRate: number) => {
    for (let i = 0; i < n; i++) t.log({ vehicleId: 'VIN-1', body: `request timeout on CAN id 0x2A3 after ${200 + i} ms`, timestampMs: T0 + w * MIN + 1000 + Math.floor((i * 50_000) / n), samplingRate });
  };
  // Healthy: 1 kept line of 10 per window (rate 0.1) → 10 per window. Then the vehicle's rate is 1: 25 lines are
  // 2.5× that baseline (no spike; unscaled they would be 25×), and 60 lines after them are 60 / 17.5 = 3.4×.
  for (let w = 0; w < 5; w++) lines(w, 1, 0.1);
  lines(5, 25, 1);
  lines(6, 60, 1);
  lines(8, 1, 1); // closes windows 6 and 7
  const mine = t.events.filter((e) => e.templates.some((x) => x.template.includes('timeout')));
  assert.deepEqual(
    mine.map((e) => [e.eventType, (e.windowStartMs - T0) / MIN, e.count, e.baselineCount, e.vehicleCounts[0]?.count]),
    [['NEW', 0, 10, null, 10], ['RATE_UP', 6, 60, 17.5, 60]],
  );
});
