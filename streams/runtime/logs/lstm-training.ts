/**
 * Trains the template autoencoder with tensorflow.js: token embedding → LSTM (the code,
 * 64 hidden units) → dropout 0.1 → repeated → LSTM decoder → per-step softmax over the
 * vocabulary. The decoder must rebuild the token sequence from the code, so paraphrased
 * templates that a bag of words keeps apart get close codes. Only the encoding half is
 * returned, as plain weights (EmbeddingModel), which the processor evaluates without tf.
 *
 * Every random choice (initial weights, dropout masks, batch order) is seeded: the same seed
 * and templates give the same weights and so the same sha.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { buildVocabulary, encodeFloats, tokenIds, vocabularyIndex, type EmbeddingModel } from '../../processors/logs/embedding-model.ts';
import { selectTfBackend } from './tf-backend.ts';

/** Hyper-parameters of the autoencoder and its training. */
export interface LstmTrainingOptions {
  readonly hiddenUnits: number;
  readonly dropout: number;
  readonly tokenEmbeddingSize: number;
  /** Tokens per template fed to the network (longer templates are cut, shorter padded). */
  readonly maxSequenceLength: number;
  /** Most frequent tokens kept; the rest share one out-of-vocabulary id. */
  readonly maxVocabulary: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  /**
   * Early stop: training ends once an epoch lowers the loss by less than this share of the previous epoch's loss
   * (0: every epoch runs). Deterministic, unlike a time budget, so the same templates still give the same weights.
   */
  readonly earlyStopMinImprovement: number;
  /** Most templates one training sees (an even, deterministic sample beyond it): bounds the cost of a big partition. */
  readonly maxTemplates: number;
}

/** The network (64 hidden units, dropout 0.1); epochs and sizes small enough for a background job on 2 cores. */
export const DEFAULT_LSTM_OPTIONS: LstmTrainingOptions = {
  hiddenUnits: 64,
  dropout: 0.1,
  tokenEmbeddingSize: 32,
  maxSequenceLength: 16,
  maxVocabulary: 1000,
  epochs: 4,
  batchSize: 32,
  learningRate: 0.01,
  seed: 42,
  earlyStopMinImprovement: 0.02,
  maxTemplates: 200,
};

/** At most `max` templates, evenly spread over the input in its order (deterministic). */
export function sampleTemplates<T>(templates: readonly T[], max: number): T[] {
  if (templates.length <= max) return [...templates];
  const step = templates.length / max;
  return Array.from({ length: max }, (_, i) => templates[Math.floor(i * step)]!);
}

/** A trained encoder without its version and partition (the trainer assigns those). */
export type TrainedWeights = Omit<EmbeddingModel, 'version' | 'partition'>;

/** Trains on `templates` (token lists) and returns the encoder's weights. */
export async function trainLstmWeights(allTemplates: readonly (readonly string[])[], options: Partial<LstmTrainingOptions> = {}): Promise<TrainedWeights> {
  const o = { ...DEFAULT_LSTM_OPTIONS, ...options };
  const templates = sampleTemplates(allTemplates, Math.max(1, o.maxTemplates));
  const backend = await selectTfBackend();
  const vocabulary = buildVocabulary(templates, o.maxVocabulary);
  const index = vocabularyIndex(vocabulary);
  const vocabSize = vocabulary.length + 2;
  const seqs = templates.map((t) => tokenIds(t, index, o.maxSequenceLength));
  const seed = o.seed;

  const input = tf.input({ shape: [o.maxSequenceLength], dtype: 'int32' });
  const embeddingLayer = tf.layers.embedding({ inputDim: vocabSize, outputDim: o.tokenEmbeddingSize, maskZero: false, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }) });
  const codeLayer = tf.layers.lstm({ units: o.hiddenUnits, returnSequences: false, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), name: 'code' });
  const code = codeLayer.apply(embeddingLayer.apply(input)) as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ rate: o.dropout, seed: seed + 3 }).apply(code) as tf.SymbolicTensor;
  const repeated = tf.layers.repeatVector({ n: o.maxSequenceLength }).apply(dropped) as tf.SymbolicTensor;
  const decoded = tf.layers
    .lstm({ units: o.hiddenUnits, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }) })
    .apply(repeated) as tf.SymbolicTensor;
  const probs = tf.layers
    .timeDistributed({ layer: tf.layers.dense({ units: vocabSize, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 6 }) }) })
    .apply(decoded) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: probs });
  model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'sparseCategoricalCrossentropy' });

  const x = tf.tensor2d(seqs, [seqs.length, o.maxSequenceLength], 'int32');
  const y = tf.tensor3d(seqs.map((s) => s.map((id) => [id])), [seqs.length, o.maxSequenceLength, 1], 'float32');
  try {
    // shuffle: false — batch order is part of what the seed must pin down.
    let previous = Number.POSITIVE_INFINITY;
    const history = await model.fit(x, y, {
      epochs: o.epochs, batchSize: o.batchSize, shuffle: false, verbose: 0,
      callbacks: {
        onEpochEnd: async (_epoch, logs) => {
          const loss = logs?.['loss'] ?? Number.NaN;
          if (o.earlyStopMinImprovement > 0 && Number.isFinite(previous) && previous - loss < o.earlyStopMinImprovement * previous) model.stopTraining = true;
          previous = loss;
        },
      },
    });
    const losses = history.history['loss'] as number[];
    const finalLoss = losses[losses.length - 1] ?? Number.NaN;
    const [embeddings] = embeddingLayer.getWeights();
    const [kernel, recurrentKernel, bias] = codeLayer.getWeights();
    const floats = await Promise.all([embeddings!, kernel!, recurrentKernel!, bias!].map(async (w) => Float32Array.from(await w.data())));
    const [e, k, r, b] = floats.map(encodeFloats) as [string, string, string, string];
    const shape = { hiddenUnits: o.hiddenUnits, tokenEmbeddingSize: o.tokenEmbeddingSize, maxSequenceLength: o.maxSequenceLength };
    const sha = createHash('sha256').update(JSON.stringify({ ...shape, vocabulary, e, k, r, b })).digest('hex');
    return { sha, ...shape, vocabulary, embeddings: e, kernel: k, recurrentKernel: r, bias: b, trainedOnTemplates: templates.length, epochsRun: losses.length, finalLoss, backend };
  } finally {
    x.dispose();
    y.dispose();
    model.dispose();
  }
}

/** Codes the tfjs encoder itself computes (the reference the processor's plain-JS forward pass is checked against). */
export async function tfCodes(weights: TrainedWeights, templates: readonly (readonly string[])[]): Promise<number[][]> {
  await selectTfBackend();
  const dec = (s: string) => new Float32Array(new Uint8Array(Buffer.from(s, 'base64')).buffer);
  const v = weights.vocabulary.length + 2;
  const u = weights.hiddenUnits;
  const e = weights.tokenEmbeddingSize;
  const input = tf.input({ shape: [weights.maxSequenceLength], dtype: 'int32' });
  const emb = tf.layers.embedding({ inputDim: v, outputDim: e, weights: [tf.tensor2d(dec(weights.embeddings), [v, e])] });
  const lstm = tf.layers.lstm({ units: u, weights: [tf.tensor2d(dec(weights.kernel), [e, 4 * u]), tf.tensor2d(dec(weights.recurrentKernel), [u, 4 * u]), tf.tensor1d(dec(weights.bias))] });
  const model = tf.model({ inputs: input, outputs: lstm.apply(emb.apply(input)) as tf.SymbolicTensor });
  const index = vocabularyIndex(weights.vocabulary);
  const x = tf.tensor2d(templates.map((t) => tokenIds(t, index, weights.maxSequenceLength)), [templates.length, weights.maxSequenceLength], 'int32');
  const out = model.predict(x) as tf.Tensor;
  const rows = (await out.array()) as number[][];
  x.dispose();
  out.dispose();
  model.dispose();
  return rows;
}
