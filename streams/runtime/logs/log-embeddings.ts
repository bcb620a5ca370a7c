/**
 * Runs beside a worker whose topology has the log-cluster processor: follows its changelog
 * (input counters to /metrics; templates to the embedding trainer) and, unless disabled,
 * starts the trainer's thread (backend chosen and logged). The trainer is created before the
 * topology, because the log-cluster processor reads its models (EmbeddingModelSource).
 */
import type client from 'prom-client';
import { LOG_CLUSTER_PROCESSOR_NAME } from '../../processors/logs/log-cluster-processor.ts';
import { createKafka } from '../kafka/client.ts';
import { changelogTopic } from '../kafka/internal-topics.ts';
import type { RuntimeMetrics } from '../observability/metrics.ts';
import { followLogClusterChangelog } from './changelog-templates.ts';
import { EmbeddingTrainer, type EmbeddingTrainerOptions } from './embedding-trainer.ts';

/** Options of `startLogClusterSidecar`. */
export interface LogClusterSidecarOptions {
  readonly app: string;
  readonly metrics: Pick<RuntimeMetrics, 'logInputLines'>;
  /** Absent: counters only, no training (`fmeaflow worker --no-log-embeddings`). */
  readonly trainer?: EmbeddingTrainer;
  readonly brokers?: readonly string[];
}

/** Starts following the log-cluster changelog (call after runWorker: the changelog must exist); resolves with a stop function. */
export async function startLogClusterSidecar(o: LogClusterSidecarOptions): Promise<() => Promise<void>> {
  if (o.trainer) await o.trainer.start();
  const kafka = createKafka(`${o.app}-log-clusters-sidecar`, o.brokers);
  const stopFollowing = await followLogClusterChangelog(kafka, changelogTopic(o.app, LOG_CLUSTER_PROCESSOR_NAME), { metrics: o.metrics, ...(o.trainer ? { trainer: o.trainer } : {}) });
  return async () => {
    await stopFollowing();
    await o.trainer?.stop();
  };
}

/** A trainer whose metrics go to the worker's registry. */
export function createEmbeddingTrainer(options: Partial<EmbeddingTrainerOptions> = {}, registry?: client.Registry): EmbeddingTrainer {
  return new EmbeddingTrainer(options, registry);
}
