/**
 * `rules test`, in the spirit of `promtool test rules`: a test file names rule files and
 * lists cases; each case feeds evidence records (as they appear on their topics) through
 * the real evaluation processor in the replay runtime (the worker's PartitionTask: late
 * evidence and records the processor rejects are reported as failures), then checks the expected actions
 * field by field and that unexpected ones are absent. Cases are independent (fresh state).
 * `vehicles` (file or case) is the vehicle registry the case runs with (vehicle id → model),
 * as the producer publishes it to fmeaflow.vehicles.v1, for entries with model scope.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import type { FmeaAction } from '../processors/fmea/action.ts';
import { createFmeaEvaluateProcessor } from '../processors/fmea/fmea-evaluate.ts';
import type { OccurrenceTable } from '../processors/fmea/occurrence.ts';
import { replay } from '../runtime/replay/replay.ts';
import { Topics } from '../topic-catalog.ts';
import { loadOccurrenceTable, readRuleFiles } from './rule-files.ts';
import { toRuleSetRecords } from './rule-set-records.ts';

interface RegistryEntry { vehicleId: string; model: string; modelYear?: number | null }
interface TestCase {
  name: string;
  fleetSize?: number;
  vehicles?: RegistryEntry[];
  input: { topic: string; value: unknown }[];
  expect?: (Record<string, unknown> & { key: string })[];
  absent?: string[];
}
interface TestFile {
  ruleFiles: string[];
  fleetSize?: number;
  occurrenceTable?: string;
  vehicles?: RegistryEntry[];
  tests: TestCase[];
}

export interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly failures: string[];
}

function checkField(name: string, expected: unknown, actual: unknown): string | undefined {
  if (name === 'evidence' && expected && typeof expected === 'object') {
    for (const [k, want] of Object.entries(expected as Record<string, unknown>)) {
      const have = (actual as Record<string, unknown[]>)[k] ?? [];
      for (const w of Array.isArray(want) ? want : [want]) if (!have.includes(w)) return `evidence.${k} lacks ${JSON.stringify(w)} (has ${JSON.stringify(have)})`;
    }
    return undefined;
  }
  return isDeepStrictEqual(expected, actual) ? undefined : `${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** Runs one test file; throws FmeaflowError when the file itself is unusable. */
export function runRuleTestFile(testFile: string, defaults: { occurrenceTable?: OccurrenceTable } = {}): CaseResult[] {
  let spec: TestFile;
  try {
    spec = parse(readFileSync(testFile, 'utf8')) as TestFile;
  } catch (err) {
    throw new FmeaflowError(ErrorCodes.PARSE_ERROR, `${testFile}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (!spec || !Array.isArray(spec.ruleFiles) || !Array.isArray(spec.tests)) {
    throw new FmeaflowError(ErrorCodes.PARSE_ERROR, `${testFile}: a rules test file needs 'ruleFiles' (list) and 'tests' (list)`);
  }
  const base = dirname(testFile);
  const files = readRuleFiles(spec.ruleFiles.map((f) => resolve(base, f)));
  const records = toRuleSetRecords(files, 0, 'rules-test');
  const occurrenceTable = spec.occurrenceTable ? loadOccurrenceTable(resolve(base, spec.occurrenceTable)) : defaults.occurrenceTable ?? loadOccurrenceTable();

  return spec.tests.map((tc) => {
    const failures: string[] = [];
    const fleetSize = tc.fleetSize ?? spec.fleetSize;
    const registry = (tc.vehicles ?? spec.vehicles ?? []).map((v) => ({ vehicleId: String(v.vehicleId), model: String(v.model), modelYear: v.modelYear ?? null, updatedAtMs: 0 }));
    const proc = createFmeaEvaluateProcessor({ occurrenceTable, ...(fleetSize !== undefined ? { fleetSize } : {}) });
    // The engine's own driver (the replay runtime over PartitionTask): the same watermark, late and dead-letter
    // rules as a worker, so a rule passes here exactly when the engine would activate it.
    const result = replay([proc], [
      ...records.map((r) => ({ topic: Topics.rules, key: r.worksheet, value: r })),
      ...registry.map((v) => ({ topic: Topics.vehicles, key: v.vehicleId, value: v })),
      ...(tc.input ?? []).map((rec, i) => ({ topic: rec.topic, key: '', value: rec.value, partition: 0, offset: String(i) })),
    ], { partitions: Object.fromEntries(proc.inputTopics.map((t) => [t, 1])) });
    for (const r of result.rejectedGlobals) failures.push(`vehicles: ${r.key}: ${r.message}`);
    const inputFailure = (v: { sourceTopic: string; sourceOffset: number }, what: string) => failures.push(`input[${v.sourceOffset}] (${v.sourceTopic}): ${what}`);
    for (const d of result.dlq) { const v = d.value as { sourceTopic: string; sourceOffset: number; errorMessage: string }; inputFailure(v, v.errorMessage); }
    for (const l of result.late) { const v = l.value as { sourceTopic: string; sourceOffset: number; eventTimeMs: number; watermarkMs: number }; inputFailure(v, `late: event time ${v.eventTimeMs} is behind the watermark ${v.watermarkMs} (the evidence's allowed lateness), so the engine drops it`); }
    const latest = new Map<string, FmeaAction>();
    for (const o of result.outputs[Topics.actions] ?? []) if (o.value) latest.set(o.key, o.value as FmeaAction);
    for (const exp of tc.expect ?? []) {
      const act = latest.get(exp.key);
      if (!act) { failures.push(`expected action ${exp.key} was not produced (got: ${[...latest.keys()].join(', ') || 'none'})`); continue; }
      for (const [field, want] of Object.entries(exp)) {
        if (field === 'key') continue;
        const problem = checkField(field, want, (act as unknown as Record<string, unknown>)[field]);
        if (problem) failures.push(`${exp.key}: ${problem}`);
      }
    }
    for (const key of tc.absent ?? []) if (latest.has(key)) failures.push(`action ${key} was produced but the test says it must not be`);
    return { file: testFile, name: tc.name, failures };
  });
}
