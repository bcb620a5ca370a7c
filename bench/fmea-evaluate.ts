/**
 * Benchmarks of issue 6's hot paths, run with `npx tsx bench/fmea-evaluate.ts`:
 *  1. FMEA rule evaluation: evidence events/s through the evaluation processor with 1,000
 *     entries loaded, against a naive evaluator in the same run (every leaf of every entry
 *     checked per event, no kind index) — no external rule engine is installed to compare with.
 *  2. CAN feature extraction: frames/s through the can-features processor (bit-accurate
 *     stuffing, UDS parsing, windows), against a plain loop that only counts bytes per id.
 * Deterministic inputs (seeded), fixed sizes, ~1 min total on 2 cores.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { createCanFeaturesProcessor } from '../streams/processors/can/can-features.ts';
import type { CanFrame, CanFrameBatch } from '../streams/processors/can/can-batch.ts';
import { CAN_FEATURE_DIMENSIONS } from '../streams/processors/can/feature-dimensions.ts';
import { EVIDENCE_ADAPTERS } from '../streams/processors/fmea/evidence/adapters.ts';
import { createFmeaEvaluateProcessor } from '../streams/processors/fmea/fmea-evaluate.ts';
import { leafMatches } from '../streams/processors/fmea/leaf-match.ts';
import { loadOccurrenceTable } from '../streams/fmea/rule-files.ts';
import { compileRuleFiles } from '../streams/processors/fmea/rule-set.ts';
import type { Condition, LeafCondition } from '../streams/processors/fmea/rule-model.ts';
import type { Processor } from '../streams/processors/processor.ts';
import { replay, type ReplayRecord } from '../streams/runtime/replay/replay.ts';
import { Topics } from '../streams/topic-catalog.ts';

const rnd = seedrandom('fmea-bench');
const pickOf = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

// ---------- 1. rule evaluation ----------
const ENTRIES = 1000;
// Realistic selectivity: most evidence matches no entry, a few match several.
const KEYWORDS = Array.from({ length: 200 }, (_, i) => `kw${i}x`);
const SERIES = Array.from({ length: 40 }, (_, i) => `series_${i}`);
function leafYaml(i: number): string {
  switch (i % 4) {
    case 0: return `- canFeature: "${pickOf(CAN_FEATURE_DIMENSIONS)} > ${(0.5 + rnd() * 0.5).toFixed(3)} and error_frame_share > ${(rnd() * 0.5).toFixed(3)}"`;
    case 1: return `- logCluster: { keywords: ["${pickOf(KEYWORDS)}", "${pickOf(KEYWORDS)}|${pickOf(KEYWORDS)}"] }`;
    case 2: return `- drift: '${pickOf(SERIES)}{bus="main"} > ${(0.1 + rnd() * 0.2).toFixed(3)}'`;
    default: return `- canCluster: "nrc_share > ${(0.3 + rnd() * 0.6).toFixed(2)} and normal.nrc_share < 0.05"`;
  }
}
function worksheetYaml(sheet: number, n: number): string {
  const entries = Array.from({ length: n }, (_, j) => {
    const i = sheet * n + j;
    return `  - id: S-BEN-${i}
    item: Item ${i}
    function: Function ${i}
    failureMode: Mode ${i}
    effect: Effect ${i}
    cause: Cause ${i}
    severity: ${1 + (i % 10)}
    occurrence: ${1 + ((i * 3) % 10)}
    detection: ${1 + ((i * 7) % 10)}
    scopes: [vehicle, fleet]
    evidence:
      ${i % 3 === 0 ? 'all' : 'any'}:
        ${leafYaml(i)}
        ${leafYaml(i + 1)}`;
  });
  return `worksheet: bench-${sheet}\nentries:\n${entries.join('\n')}\n`;
}
const sheets = Array.from({ length: 10 }, (_, s) => worksheetYaml(s, ENTRIES / 10));
const rulesTable = new Map(sheets.map((y, s) => [`bench-${s}`, { worksheet: `bench-${s}`, sourceFile: `bench-${s}.yaml`, yaml: y, sha256: createHash('sha256').update(y).digest('hex') }]));
const tc = performance.now();
const compiled = compileRuleFiles(sheets.map((text, s) => ({ file: `bench-${s}.yaml`, text })));
if (!compiled.ruleSet) throw new Error(`bench rules invalid: ${compiled.issues[0]?.message}`);
const ruleSet = compiled.ruleSet;
if (process.env.FMEA_BENCH_DEBUG) console.error('compile ms', performance.now() - tc);

const VEHICLES = Array.from({ length: 1000 }, (_, i) => `VIN${String(i).padStart(5, '0')}`);
const T0 = 1_764_000_000_000;
function evidenceRecord(i: number): { topic: string; value: unknown } {
  const t = T0 + i * 10;
  const v = pickOf(VEHICLES);
  switch (i % 4) {
    case 0: return { topic: Topics.canFeatures, value: { vehicleId: v, bus: 'main', windowStartMs: t - 10_000, windowEndMs: t, features: Object.fromEntries(CAN_FEATURE_DIMENSIONS.map((d) => [d, rnd() * (rnd() < 0.05 ? 1.5 : 0.3)])), dtcCodes: [] } };
    case 1: return { topic: Topics.logClusters, value: { clusterId: `c${i % 97}`, eventType: 'NEW', windowEndMs: t, templates: [{ template: `${pickOf(KEYWORDS)} in <*> after ${pickOf(KEYWORDS)}` }], keywords: [pickOf(KEYWORDS), pickOf(KEYWORDS)], vehicleCounts: [{ vehicleId: v, count: 1 }], examples: [] } };
    case 2: return { topic: Topics.drift, value: { eventId: `d${i}`, name: pickOf(SERIES), labels: { bus: 'main' }, scope: v, detector: 'ewma', phase: 'ONSET', value: rnd() * 0.2, zScore: 4, windowEndMs: t } };
    default: return { topic: Topics.canClusters, value: { snapshotId: `s${i}`, computedAtMs: t, clusters: [
      { clusterId: 0, size: 90, share: 0.9, centroid: { nrc_share: 0.01 }, memberVehicles: [pickOf(VEHICLES), pickOf(VEHICLES)] },
      { clusterId: 1, size: 10, share: 0.1, centroid: { nrc_share: rnd() < 0.05 ? rnd() : 0.02 }, memberVehicles: [pickOf(VEHICLES)] }] } };
  }
}
const EVENTS = Number(process.env.FMEA_BENCH_EVENTS ?? 40_000);
const records = Array.from({ length: EVENTS }, (_, i) => evidenceRecord(i));

/**
 * Runs the processor over all records on the one driver (the replay runtime over PartitionTask, as the worker runs it:
 * watermarks, timers, late routing, the bucketed store). With `measureBytes`, also sums the JSON size of its store writes
 * (what the changelog carries), in a run outside the timed figure.
 */
function benchProcessor(measureBytes = false): { eventsPerS: number; actions: number; storeKeys: number; matchedEvents: number; changelogBytes: number } {
  const proc = createFmeaEvaluateProcessor({ occurrenceTable: loadOccurrenceTable(), fleetSize: VEHICLES.length });
  let matchedEvents = 0;
  let changelogBytes = 0;
  const counted: Processor<unknown, unknown> = {
    ...proc,
    process(store, record, ctx) {
      const res = proc.process(store, record, ctx);
      if (res.outputs?.length) matchedEvents++;
      if (measureBytes) for (const u of res.updates ?? []) changelogBytes += u.key.length + (u.value === null ? 0 : JSON.stringify(u.value).length);
      return res;
    },
  };
  const input: ReplayRecord[] = [
    ...[...rulesTable].map(([key, value]) => ({ topic: Topics.rules, key, value })),
    ...records.map((r) => ({ topic: r.topic, key: '', value: r.value })),
  ];
  const start = performance.now();
  const result = replay([counted], input);
  const s = (performance.now() - start) / 1000;
  const actions = result.outputs[Topics.actions]?.length ?? 0;
  const storeKeys = Object.values(result.finalState[proc.name] ?? {}).reduce((n, keys) => n + Object.keys(keys).length, 0);
  if (result.late.length + result.dlq.length > 0) throw new Error(`bench input routed aside: ${result.late.length} late, ${result.dlq.length} dead letters`);
  return { eventsPerS: EVENTS / s, actions, storeKeys, matchedEvents, changelogBytes };
}

/** Baseline: every leaf of every entry tested against every evidence item (no index, no state). */
function benchNaive(): number {
  const leaves: LeafCondition[] = [];
  const walk = (c: Condition): void => { if (c.type === 'group') c.children.forEach(walk); else leaves.push(c); };
  ruleSet.entries.forEach((e) => walk(e.evidence));
  let hits = 0;
  const start = performance.now();
  for (const r of records) for (const ev of EVIDENCE_ADAPTERS.get(r.topic)!.toEvidence(r.value)) for (const l of leaves) if (leafMatches(l, ev)) hits++;
  const s = (performance.now() - start) / 1000;
  if (hits < 0) console.log(hits);
  return EVENTS / s;
}

// ---------- 2. CAN feature extraction ----------
const FRAMES_PER_BATCH = 200;
const BATCHES = 2500; // 500k frames
function canBatches(): CanFrameBatch[] {
  const out: CanFrameBatch[] = [];
  const ids = [0x0c0, 0x1a0, 0x2a3, 0x3b0, 0x4c1, 0x555, 0x7e0, 0x7e8];
  for (let b = 0; b < BATCHES; b++) {
    const vehicle = `V${b % 50}`;
    const startMs = T0 + Math.floor(b / 50) * 100;
    const frames: CanFrame[] = [];
    for (let i = 0; i < FRAMES_PER_BATCH; i++) {
      const id = ids[i % ids.length]!;
      const data = id === 0x7e0 ? [0x02, 0x10, 0x01] : id === 0x7e8 ? (i % 3 ? [0x02, 0x50, 0x01] : [0x03, 0x7f, 0x10, 0x22]) : Array.from({ length: 8 }, () => Math.floor(rnd() * 256));
      frames.push({ timestampUs: (startMs + i * 0.5) * 1000, id, dlc: data.length, data: Uint8Array.from(data), error: rnd() < 0.001 });
    }
    out.push({ vehicleId: vehicle, bus: 'main', bitrateBps: 500_000, seq: b, batchStartUs: startMs * 1000, batchEndUs: (startMs + 100) * 1000, frames, droppedFrames: 0 });
  }
  return out;
}
const batches = process.argv.includes('--fmea-only') ? [] : canBatches();
const totalFrames = batches.length * FRAMES_PER_BATCH;

function benchCanFeatures(): { framesPerS: number; vectors: number } {
  const proc = createCanFeaturesProcessor({ cycleTimesMs: new Map([[0x0c0, 10], [0x1a0, 20], [0x2a3, 100]]) });
  const start = performance.now();
  // Every window closes at the end (the flush fires every timer), as the previous hand-written loop did.
  const result = replay([proc], batches.map((b) => ({ topic: Topics.can, key: b.vehicleId, value: b })), { endOfInputAtMs: Number.MAX_SAFE_INTEGER });
  const framesPerS = totalFrames / ((performance.now() - start) / 1000);
  if (result.late.length + result.dlq.length > 0) throw new Error(`bench input routed aside: ${result.late.length} late, ${result.dlq.length} dead letters`);
  return { framesPerS, vectors: result.outputs[Topics.canFeatures]?.length ?? 0 };
}

function benchNaiveCan(): number {
  const start = performance.now();
  const counts = new Map<number, number>();
  for (const b of batches) for (const f of b.frames) counts.set(f.id, (counts.get(f.id) ?? 0) + f.data.length);
  return totalFrames / ((performance.now() - start) / 1000);
}

// warm-up, then measure. `--fmea-only` skips the CAN part (for profiling the evaluation: node --cpu-prof).
const fmeaOnly = process.argv.includes('--fmea-only');
const tw = performance.now();
const warm = benchProcessor(true);
if (process.env.FMEA_BENCH_DEBUG) console.error('warm-up fmea ms', performance.now() - tw);
const fmea = benchProcessor();
const naive = benchNaive();
if (!fmeaOnly) benchCanFeatures();
const can = fmeaOnly ? { framesPerS: NaN, vectors: 0 } : benchCanFeatures();
const naiveCan = fmeaOnly ? NaN : benchNaiveCan();
const date = new Date().toISOString().slice(0, 10);
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const lines = [
  `date ${date}; node ${process.version}; ${ENTRIES} entries in 10 worksheets; ${EVENTS.toLocaleString('en-US')} evidence events over ${VEHICLES.length} vehicles`,
  `fmea-evaluate processor: ${fmt(fmea.eventsPerS)} events/s (${fmea.matchedEvents} events activated ≥ 1 entry, ${fmea.actions} action updates, ${fmea.storeKeys} store keys)`,
  `store writes (changelog volume, JSON): ${fmt(warm.changelogBytes / EVENTS)} bytes per evidence event (${(warm.changelogBytes / 1e6).toFixed(1)} MB in all)`,
  `naive all-leaves match (no state, no index): ${fmt(naive)} events/s; ratio processor/naive = ${(fmea.eventsPerS / naive).toFixed(2)}`,
  ...(fmeaOnly ? [] : [
    `can-features processor: ${fmt(can.framesPerS)} frames/s (${totalFrames.toLocaleString('en-US')} frames, ${can.vectors} vectors)`,
    `plain byte-count loop: ${fmt(naiveCan)} frames/s; ratio processor/plain = ${(can.framesPerS / naiveCan).toFixed(3)}`,
  ]),
];
console.log(lines.join('\n'));
if (process.argv.includes('--json')) console.log(JSON.stringify({ date, fmea, changelogBytes: warm.changelogBytes, naive, can, naiveCan }));
void readFileSync;
