/**
 * The whole engine over a finite recording, without a broker: the topology of `topology.ts` in the
 * replay runtime (the same PartitionTask as the Kafka runtime), the rule files as the records
 * `rules publish` would write, and an end-of-input flush so the windows of the recording's last
 * seconds close too. `fmeaflow replay` and the drive tests run this.
 */
import path from 'node:path';
import { expandRuleFiles, readRuleFiles } from './fmea/rule-files.ts';
import { toRuleSetRecords } from './fmea/rule-set-records.ts';
import type { Processor } from './processors/processor.ts';
import { PROJECT_ROOT } from './config/project-root.ts';
import { replay, type ReplayRecord, type ReplayResult } from './runtime/replay/replay.ts';
import { DEFAULT_PARTITIONS, TOPIC_SPECS, Topics } from './topic-catalog.ts';
import { buildTopology, DRIVE_TIMING, type TopologyOptions, type TopologyTiming } from './topology.ts';

export interface EngineReplayOptions extends Omit<TopologyOptions, 'app' | 'timing'> {
  /** App id: names the repartition topics (default `replay`). */
  readonly app?: string;
  /** Default DRIVE_TIMING: recordings are minutes long, not a fleet's days. */
  readonly timing?: TopologyTiming;
  /** Rule-set records to evaluate with; default: the worksheets of `rulesDir` (default fmea-rules/). */
  readonly ruleRecords?: readonly ReplayRecord[];
  /** Close every window at the end of the input (default true). */
  readonly flush?: boolean;
}

/** The worksheets of a rules folder as the fmea.rules.v1 records `rules publish` writes. */
export function ruleRecordsOf(rulesDir: string, publishedBy = 'replay'): ReplayRecord[] {
  const files = readRuleFiles(expandRuleFiles([rulesDir]));
  return toRuleSetRecords(files, 0, publishedBy).map((r) => ({ topic: Topics.rules, key: r.worksheet, value: r }));
}

/**
 * How far past a partition's last event the flush moves its watermark: the longest window plus the
 * log close delay, so the window holding the last record closes at every stage, and no further (timers
 * beyond it, such as an action's resolve period, would judge time the recording does not cover).
 */
export function endOfInputHorizonMs(t: TopologyTiming): number {
  return Math.max(t.seriesWindowMs, t.canWindowMs, t.logWindowMs + t.logCloseDelayMs, t.canClusterPeriodMs);
}

/** Partition counts the replay places records with: the catalog's, and the default for repartition topics. */
function partitionsOf(processors: readonly Processor<any, any>[]): Record<string, number> {
  const partitions: Record<string, number> = Object.fromEntries(TOPIC_SPECS.map((t) => [t.name, t.partitions]));
  for (const p of processors) for (const t of p.inputTopics) partitions[t] ??= DEFAULT_PARTITIONS;
  return partitions;
}

/** Runs every processor of the topology over `records` (rule-set records first); returns the replay's outputs, late and dead letters. */
export function replayEngine(records: Iterable<ReplayRecord>, o: EngineReplayOptions = {}): ReplayResult {
  const { app = 'replay', timing = DRIVE_TIMING, ruleRecords, flush = true, ...topology } = o;
  const processors = buildTopology({ ...topology, app, timing });
  const rules = ruleRecords ?? ruleRecordsOf(topology.rulesDir ?? path.join(PROJECT_ROOT, 'fmea-rules'));
  function* all(): Iterable<ReplayRecord> {
    yield* rules;
    yield* records;
  }
  return replay(processors, all(), { partitions: partitionsOf(processors), ...(flush ? { endOfInputMs: endOfInputHorizonMs(timing) } : {}) });
}
