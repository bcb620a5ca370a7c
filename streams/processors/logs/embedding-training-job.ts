/**
 * The background job that (re)trains the template encoder. The runtime calls it on a
 * schedule of its choosing (e.g. every N windows, or when many templates are new) with
 * the templates recently seen on its partitions; when training finishes the new encoder
 * is installed in the holder the processor reads, and the old weights are freed. The
 * processor never waits for training: until an encoder exists it uses TF-IDF alone.
 */
import type { ReadonlyStore } from '../processor.ts';
import type { LogStoreValue } from './log-store.ts';
import { LstmTemplateEncoder, trainLstmEncoder, type LstmTrainingOptions, type TrainingResult } from './lstm-autoencoder.ts';
import type { EncoderHolder } from './template-encoder.ts';

/** The `max` most recently seen templates of one partition's store, as token lists (training input). */
export function recentTemplatesForTraining(store: ReadonlyStore<LogStoreValue>, max = 500): string[][] {
  const recent: { lastSeenMs: number; id: number; tokens: readonly string[] }[] = [];
  for (const [, v] of store.entries()) if (v.kind === 'template') recent.push({ lastSeenMs: v.record.lastSeenMs, id: v.record.id, tokens: v.record.tokens });
  recent.sort((a, b) => b.lastSeenMs - a.lastSeenMs || a.id - b.id);
  return recent.slice(0, max).map((r) => [...r.tokens]);
}

/** Trains an encoder on `templates` and installs it in `holder` (freeing the previous one). */
export async function runEmbeddingTrainingJob(
  holder: EncoderHolder,
  templates: readonly (readonly string[])[],
  options: Partial<LstmTrainingOptions> = {},
): Promise<TrainingResult> {
  const result = await trainLstmEncoder(templates, options);
  const previous = holder.current;
  holder.current = result.encoder;
  if (previous instanceof LstmTemplateEncoder) previous.dispose();
  return result;
}
