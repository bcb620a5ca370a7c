/**
 * Runs beside a worker whose topology has the log-cluster processor: follows its changelog
 * (input counters to /metrics; templates to the embedding trainer) and, unless disabled,
 * starts the trainer's thread (backend chosen and logged). The trainer is created before the
 * topology, because the log-cluster processor reads its models (EmbeddingModelSource). The
 * trainer trains only the partitions the worker's log-cluster runner is assigned.
 */
import type client from 'prom-client';
import { LOG_CLUSTER_PROCESSOR_NAME } from '../../processors/logs/log-cluster-processor.ts';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { createKafka } from '../kafka/client.ts';
import type { ProcessorRunner } from '../kafka/processor-runner.ts';
import { changelogTopic } from '../kafka/internal-topics.ts';
import type { RuntimeMetrics } from '../observability/metrics.ts';
import { followLogClusterChangelog } from './changelog-templates.ts';
import { EmbeddingTrainer, type EmbeddingTrainerOptions } from './embedding-trainer.ts';

/** Which input partitions of the log-cluster processor this worker owns (its ProcessorRunner). */
export interface PartitionOwnership {
  readonly assignedPartitions: readonly number[];
  on(event: 'assigned', listener: (e: { partitions: readonly number[] }) => void): unknown;
  off(event: 'assigned', listener: (e: { partitions: readonly number[] }) => void): unknown;
}

/** Options of `startLogClusterSidecar`. */
export interface LogClusterSidecarOptions {
  readonly app: string;
  readonly metrics: Pick<RuntimeMetrics, 'logInputLines'>;
  /** Absent: counters only, no training (`fmeaflow worker --no-log-embeddings`). */
  readonly trainer?: EmbeddingTrainer;
  /** The log-cluster runner: the trainer trains its assigned partitions only. */
  readonly ownership: PartitionOwnership;
  readonly brokers?: readonly string[];
}

/** Starts following the log-cluster changelog (call after runWorker: the changelog must exist); resolves with a stop function. */
export async function startLogClusterSidecar(o: LogClusterSidecarOptions): Promise<() => Promise<void>> {
  const trainer = o.trainer;
  const onAssigned = (e: { partitions: readonly number[] }): void => trainer?.setOwnedPartitions(e.partitions);
  if (trainer) {
    // Before the first tick: until the group assigns something the worker owns nothing, and trains nothing.
    trainer.setOwnedPartitions(o.ownership.assignedPartitions);
    o.ownership.on('assigned', onAssigned);
    await trainer.start();
  }
  const kafka = createKafka(`${o.app}-log-clusters-sidecar`, o.brokers);
  const stopFollowing = await followLogClusterChangelog(kafka, changelogTopic(o.app, LOG_CLUSTER_PROCESSOR_NAME), { metrics: o.metrics, ...(o.trainer ? { trainer: o.trainer } : {}) }, o.app);
  return async () => {
    o.ownership.off('assigned', onAssigned);
    await stopFollowing();
    await trainer?.stop();
  };
}

/** The worker's log-cluster runner, whose assignments say which partitions its trainer trains. */
export function logClusterOwnership(worker: { readonly runners: readonly ProcessorRunner[] }, app: string): PartitionOwnership {
  const groupId = `${app}-${LOG_CLUSTER_PROCESSOR_NAME}`;
  const runner = worker.runners.find((r) => r.groupId === groupId);
  if (runner === undefined) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `the worker runs no ${LOG_CLUSTER_PROCESSOR_NAME} processor (consumer group ${groupId}); the log-cluster sidecar needs it`);
  return runner;
}

/** A trainer whose metrics go to the worker's registry. */
export function createEmbeddingTrainer(options: Partial<EmbeddingTrainerOptions> = {}, registry?: client.Registry): EmbeddingTrainer {
  return new EmbeddingTrainer(options, registry);
}
