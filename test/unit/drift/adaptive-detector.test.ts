import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeWindow, type SeriesState } from '../../../streams/processors/drift/series-judge.ts';
import { DEFAULT_DRIFT_CONFIG, driftConfig, FIELD_RULE_DRIFT_CONFIG, type DriftConfig } from '../../../streams/processors/drift/drift-config.ts';
import type { DriftEvent } from '../../../streams/processors/drift/drift-types.ts';
import { ErrorCodes, FmeaflowError } from '../../../streams/errors.ts';
import { gaussian, MIN, points, T0 } from './fixtures.ts';

function run(values: readonly number[], cfg: DriftConfig = driftConfig(), from?: SeriesState): { events: DriftEvent[]; state: SeriesState | undefined } {
  let st = from;
  const events: DriftEvent[] = [];
  for (const p of points(values)) {
    const r = judgeWindow(st, p, cfg);
    st = r.state;
    events.push(...r.events);
  }
  return { events, state: st };
}
const onsets = (e: readonly DriftEvent[]): DriftEvent[] => e.filter((x) => x.phase === 'ONSET');

test('the default is the adaptive detector; the field rule is the named FIELD_RULE_DRIFT_CONFIG (EWMA α 0.2, |z| > 3 twice)', () => {
  assert.ok(driftConfig().adaptive, 'default judges with the adaptive detector');
  assert.equal(DEFAULT_DRIFT_CONFIG.adaptive, driftConfig().adaptive);
  assert.equal(FIELD_RULE_DRIFT_CONFIG.adaptive, null);
  assert.deepEqual(FIELD_RULE_DRIFT_CONFIG.zRule, { threshold: 3, consecutive: 2 });
  assert.equal(FIELD_RULE_DRIFT_CONFIG.baseline.alpha, 0.2);
  // Asking for the field rule's parts selects the field rule.
  assert.equal(driftConfig({ chart: null }).adaptive, null);
});

test('a counter that has never varied says nothing on its first blip (no noise estimate yet); the field rule calls it a drift', () => {
  // 0 for 40 windows, then two windows at 0.2 and back: the old default raised an onset at z ≈ 2e8.
  const values = [...Array.from({ length: 40 }, () => 0), 0.2, 0.2, 0, 0, 0];
  assert.equal(onsets(run(values, FIELD_RULE_DRIFT_CONFIG).events).length, 1, 'the field rule flags it');
  assert.deepEqual(onsets(run(values).events), []);
});

test('nothing is said during warm-up, however wild the first windows are', () => {
  const warm = DEFAULT_DRIFT_CONFIG.baseline.warmupWindows;
  const values = Array.from({ length: warm }, (_, i) => (i % 3 === 0 ? 1000 : i));
  assert.deepEqual(run(values).events, []);
});

test('a 10σ step after a trusted baseline is an ONSET in its first window, against the pre-step level', () => {
  const g = gaussian('step');
  const pre = Array.from({ length: 100 }, () => 50 + 2 * g());
  const { events } = run([...pre, 70, 70, 70]);
  const on = onsets(events);
  assert.equal(on.length, 1);
  assert.equal(on[0]!.detector, 'SPIKE');
  assert.equal(on[0]!.windowStartMs, points([...pre, 70])[100]!.windowStartMs, 'the first window after the step');
  assert.ok(Math.abs(on[0]!.baselineMean - 50) < 1.5 && on[0]!.zScore > 7, `judged against the old level: ${on[0]!.baselineMean} z ${on[0]!.zScore}`);
});

test('stationary noise: the default raises at most a tenth of the field rule\'s false drifts on the same young series', () => {
  let n = 0;
  let field = 0;
  for (let s = 0; s < 20; s++) {
    const g = gaussian(`ic-${s}`);
    const values = Array.from({ length: 2000 }, () => 50 + 5 * g());
    n += onsets(run(values).events).length;
    field += onsets(run(values, FIELD_RULE_DRIFT_CONFIG).events).length;
  }
  // Long settled runs (in-control ARL) are measured in bench/drift-false-alarms.ts; young series are the hard case.
  assert.ok(field >= 40, `the field rule's own rate on this data: ${field}`);
  assert.ok(n * 10 <= field, `${n} false drifts in 40,000 windows against the field rule's ${field}`);
});

test('a sustained 1σ shift after 300 windows is found by the shift chart within 20 windows (median; settled baselines: bench)', () => {
  const delays: number[] = [];
  for (let s = 0; s < 41; s++) {
    const g = gaussian(`shift-${s}`);
    const pre = Array.from({ length: 300 }, () => 50 + 5 * g());
    const post = Array.from({ length: 100 }, () => 55 + 5 * g());
    const { events } = run([...pre, ...post]);
    const first = onsets(events).find((e) => e.windowStartMs >= points(pre)[299]!.windowEndMs);
    delays.push(first ? Math.round((first.windowStartMs - points(pre)[299]!.windowEndMs) / 60_000) + 1 : Number.POSITIVE_INFINITY);
  }
  delays.sort((a, b) => a - b);
  assert.ok(delays[20]! <= 20, `median delay ${delays[20]} windows (${delays.join(',')})`);
});

test('a wandering but in-control series (AR(1), ρ 0.9): the shift chart judges it by its own spread, not by independent noise', () => {
  // Real metrics wander: the chart of an autocorrelated series spreads ~4× wider than for independent noise, and a limit
  // set for independent noise alarms on every wander (most of the NAB false detections of the previous default).
  const g = gaussian('ar1');
  let x = 0;
  const values = Array.from({ length: 6000 }, () => (x = 0.9 * x + g()) + 100);
  const own = onsets(run(values).events).length;
  const iid = onsets(run(values, driftConfig({ adaptive: { ...DEFAULT_DRIFT_CONFIG.adaptive!, chartSelfScale: null } })).events).length;
  assert.ok(iid >= 10, `the independent-noise limit alarms on the wander: ${iid}`);
  assert.ok(own * 2 <= iid, `self-scaled: at most half the onsets, ${own} against ${iid}`);
});

test('a window p95 from fewer than 20 samples is neither judged nor learned; from enough samples it is', () => {
  const g = gaussian('p95');
  const base = points(Array.from({ length: 60 }, () => 24 + 0.1 * g()), 'lat.p95{}@v').map((p) => ({ ...p, name: 'lat.p95', sampleCount: 40 }));
  const drop = { ...base[59]!, windowStartMs: base[59]!.windowEndMs, windowEndMs: base[59]!.windowEndMs + MIN, value: 9.75 };
  const judge = (sampleCount: number) => {
    let st: SeriesState | undefined;
    for (const p of base) st = judgeWindow(st, p, driftConfig()).state;
    const r = judgeWindow(st, { ...drop, sampleCount }, driftConfig());
    return { onsets: onsets(r.events).length, learned: r.state.adaptive!.n - st!.adaptive!.n };
  };
  assert.deepEqual(judge(5), { onsets: 0, learned: 0 }, 'a p95 of 5 spans is their maximum');
  assert.equal(judge(40).onsets, 1, 'the same drop from 40 samples is a drift');
});

test('an observation rate is judged no finer than its counting noise: one quiet 5 s window of a steady 1/s rate is not a drift', () => {
  // A simulator's steady rate teaches a σ far below Poisson noise; 0 events where 5 were expected happens 0.7 % of windows.
  const steady = Array.from({ length: 40 }, (_, i) => 1 + (i % 2 ? 0.02 : -0.02));
  const pts = (name: string) => [...steady, 0].map((v, i) => ({ seriesId: `${name}{}@v`, name, labels: {}, scope: 'v', windowStartMs: T0 + i * 5000, windowEndMs: T0 + (i + 1) * 5000, value: v, sampleCount: 5 }));
  const count = (name: string) => {
    let st: SeriesState | undefined;
    let n = 0;
    for (const p of pts(name)) { const r = judgeWindow(st, p, driftConfig()); st = r.state; n += onsets(r.events).length; }
    return n;
  };
  assert.equal(count('lat.count_rate'), 0);
  assert.equal(count('temp.mean'), 1, 'a series that is not a count keeps its learned σ');
});

test('the state survives the changelog: a JSON round trip mid-series changes nothing that follows', () => {
  const g = gaussian('restore');
  const values = [...Array.from({ length: 200 }, () => 10 + g()), ...Array.from({ length: 50 }, () => 20 + g()), ...Array.from({ length: 300 }, () => 10 + g())];
  const whole = run(values).events;
  const first = run(values.slice(0, 230));
  const restored = JSON.parse(JSON.stringify(first.state)) as SeriesState;
  let st: SeriesState | undefined = restored;
  const rest: DriftEvent[] = [];
  for (const p of points(values).slice(230)) {
    const r = judgeWindow(st, p, driftConfig());
    st = r.state;
    rest.push(...r.events);
  }
  assert.ok(onsets(whole).length >= 1, 'the series drifts');
  assert.deepEqual([...first.events, ...rest], whole);
});

test('hostile values: NaN and ±Infinity windows are skipped without poisoning the baseline', () => {
  const g = gaussian('hostile');
  const pre = Array.from({ length: 100 }, () => 50 + g());
  const clean = run([...pre, 50, 50]);
  const dirty = run([...pre, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 50, 50]);
  assert.deepEqual(dirty.events, []);
  assert.equal(dirty.state!.adaptive!.level, clean.state!.adaptive!.level);
  assert.ok(Number.isFinite(dirty.state!.adaptive!.scale));
});

test('out-of-range adaptive settings are refused with BAD_CONFIG naming the field', () => {
  const bad = (re: RegExp) => (e: unknown): boolean => e instanceof FmeaflowError && e.code === ErrorCodes.BAD_CONFIG && re.test(e.message);
  const a = DEFAULT_DRIFT_CONFIG.adaptive!;
  assert.throws(() => driftConfig({ adaptive: { ...a, levelAlpha: 0 } }), bad(/adaptive\.levelAlpha/));
  assert.throws(() => driftConfig({ adaptive: { ...a, holdWindows: 0.5 } }), bad(/adaptive\.holdWindows/));
  assert.throws(() => driftConfig({ adaptive: { ...a, daily: { bins: 10_000, alpha: 0.2, minDays: 2 } } }), bad(/adaptive\.daily/));
  assert.throws(() => driftConfig({ adaptive: { ...a, spikeZ: 0, shift: null, likelihood: null } }), bad(/at least one/));
  assert.throws(() => driftConfig({ adaptive: { ...a, chartSelfScale: { alpha: 0.005, margin: 0.5 } } }), bad(/chartSelfScale\.margin/));
});
