/**
 * Test helper: the drift chain in memory, metrics/spans → windows → baselines → drift → alerts (with
 * gray-release suppression), and spans → canary verdicts, on the replay runtime (runStages). The Kafka
 * topology wires the same processor factories.
 */
import { Topics } from '../../streams/topic-catalog.ts';
import type { OutputRecord } from '../../streams/processors/processor.ts';
import { createAlertProcessor, type AlertProcessorOptions } from '../../streams/processors/alerts/alert-processor.ts';
import type { AlertRecord } from '../../streams/processors/alerts/alert-types.ts';
import { createCanaryProcessor, type CanaryProcessorOptions } from '../../streams/processors/canary/canary-processor.ts';
import type { CanaryVerdictRecord } from '../../streams/processors/canary/canary-types.ts';
import type { ReleaseEvent } from '../../streams/processors/suppression/release-table.ts';
import type { MetricRecord, SpanRecord } from '../../streams/processors/series/input-records.ts';
import { createSeriesDriftProcessor, type SeriesDriftProcessorOptions } from '../../streams/processors/drift/series-drift-processor.ts';
import type { BaselineRecord, DriftEvent } from '../../streams/processors/drift/drift-types.ts';
import { runStages, type DriverResult } from './run-stages.ts';

/** Inputs and options of a pipeline run. */
export interface DriftPipelineInput {
  readonly metrics?: readonly MetricRecord[];
  readonly spans?: readonly SpanRecord[];
  readonly releases?: readonly ReleaseEvent[];
  readonly seriesDrift?: SeriesDriftProcessorOptions;
  readonly alerts: AlertProcessorOptions;
  readonly canary?: CanaryProcessorOptions;
  readonly nowMs?: number;
  readonly flushUntilMs?: number;
}

/** Outputs of a pipeline run, by topic. */
export interface DriftPipelineOutput {
  readonly baselines: BaselineRecord[];
  readonly drift: DriftEvent[];
  readonly alerts: AlertRecord[];
  readonly verdicts: CanaryVerdictRecord[];
  readonly raw: DriverResult;
}

function values<T>(outs: readonly OutputRecord[], topic: string): T[] {
  return outs.filter((o) => o.topic === topic && o.value !== null).map((o) => o.value as T);
}

/** Runs series-drift → alerts, and canary, over the records (metrics and spans merged by event time). */
export function runDriftPipeline(inp: DriftPipelineInput): DriftPipelineOutput {
  // One partition reads both topics: interleave them by event time (stable), as a broker replay in time order would.
  const feed = [
    ...(inp.metrics ?? []).map((m) => ({ t: m.timestampMs, rec: { topic: Topics.metrics, key: m.vehicleId, value: m } })),
    ...(inp.spans ?? []).map((s) => ({ t: s.endTimeUs / 1000, rec: { topic: Topics.spans, key: s.vehicleId, value: s } })),
  ].map((x, i) => ({ ...x, i })).sort((a, b) => (Number.isFinite(a.t) && Number.isFinite(b.t) ? a.t - b.t : 0) || a.i - b.i).map((x) => x.rec);
  const globals = (inp.releases ?? []).map((r) => ({ topic: Topics.releases, key: r.releaseId, value: r, eventTimeMs: r.timestampMs }));
  const raw = runStages(
    [createSeriesDriftProcessor(inp.seriesDrift), createAlertProcessor(inp.alerts), createCanaryProcessor(inp.canary)],
    feed,
    { globals, nowMs: inp.nowMs, flushUntilMs: inp.flushUntilMs },
  );
  return {
    baselines: values(raw.outputs, Topics.baselines), drift: values(raw.outputs, Topics.drift),
    alerts: values(raw.outputs, Topics.alerts), verdicts: values(raw.outputs, Topics.canaryVerdicts), raw,
  };
}
