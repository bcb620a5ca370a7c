/**
 * worker_threads entry of the embedding trainer: tensorflow.js runs here, never on the
 * stream loop's thread. Announces the backend it chose, then trains one job per message.
 */
import { parentPort, threadId } from 'node:worker_threads';
import { trainLstmWeights, type LstmTrainingOptions } from './lstm-training.ts';
import { selectTfBackend } from './tf-backend.ts';

/** A job the coordinator sends. */
export interface TrainingRequest {
  readonly jobId: number;
  readonly templates: readonly (readonly string[])[];
  readonly options: Partial<LstmTrainingOptions>;
}

const port = parentPort;
if (port === null) throw new Error('embedding-training-worker.ts runs as a worker thread (new Worker), not as a script');
port.postMessage({ type: 'ready', backend: await selectTfBackend(), threadId });
port.on('message', (req: TrainingRequest) => {
  const started = Date.now();
  trainLstmWeights(req.templates, req.options).then(
    (weights) => port.postMessage({ type: 'trained', jobId: req.jobId, weights, threadId, ms: Date.now() - started }),
    (err: unknown) => port.postMessage({ type: 'failed', jobId: req.jobId, message: err instanceof Error ? err.message : String(err), threadId }),
  );
});
