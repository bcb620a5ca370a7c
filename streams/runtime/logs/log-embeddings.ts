/**
 * Runs the log-template encoder training beside a worker: starts the trainer's thread
 * (backend chosen and logged), follows the log-cluster changelog into it, and stops both.
 * The trainer itself is created before the topology, because the log-cluster processor
 * reads its models (EmbeddingModelSource).
 */
import type client from 'prom-client';
import { LOG_CLUSTER_PROCESSOR_NAME } from '../../processors/logs/log-cluster-processor.ts';
import { createKafka } from '../kafka/client.ts';
import { changelogTopic } from '../kafka/internal-topics.ts';
import { followChangelogTemplates } from './changelog-templates.ts';
import { EmbeddingTrainer, type EmbeddingTrainerOptions } from './embedding-trainer.ts';

/** Running training: the trainer (the processor's model source) and a stop function. */
export interface LogEmbeddings {
  readonly trainer: EmbeddingTrainer;
  stop(): Promise<void>;
}

/** Options of `startLogEmbeddings`. */
export interface LogEmbeddingsOptions {
  readonly app: string;
  readonly trainer: EmbeddingTrainer;
  readonly brokers?: readonly string[];
}

/** Starts training for the worker's log-cluster processor (whose changelog must exist: call after runWorker). */
export async function startLogEmbeddings(o: LogEmbeddingsOptions): Promise<LogEmbeddings> {
  await o.trainer.start();
  const kafka = createKafka(`${o.app}-log-embeddings`, o.brokers);
  const stopFollowing = await followChangelogTemplates(kafka, changelogTopic(o.app, LOG_CLUSTER_PROCESSOR_NAME), o.trainer);
  return {
    trainer: o.trainer,
    async stop() {
      await stopFollowing();
      await o.trainer.stop();
    },
  };
}

/** A trainer whose metrics go to the worker's registry. */
export function createEmbeddingTrainer(options: Partial<EmbeddingTrainerOptions> = {}, registry?: client.Registry): EmbeddingTrainer {
  return new EmbeddingTrainer(options, registry);
}
