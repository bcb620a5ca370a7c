/**
 * The learned template encoder: an LSTM sequence autoencoder over template tokens
 * (64 hidden units, dropout 0.1) trained with @tensorflow/tfjs. Its bottleneck state is
 * the template's code; paraphrased templates ("timeout" / "timed out") that a bag of
 * words keeps apart land close because the decoder must rebuild similar sequences.
 *
 * Training is an async job the runtime runs in the background on recent templates; the
 * result is a `TemplateEncoder` the runtime puts into the processor's `EncoderHolder`.
 * Every random choice (initial weights, dropout masks, batch order) is seeded, so two
 * trainings with the same seed and data give the same codes.
 */
import * as tf from '@tensorflow/tfjs';
import type { TemplateEncoder } from './template-encoder.ts';
import { termsOf } from './sliding-tfidf.ts';

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
  /** Receives one line naming the tfjs backend chosen (tfjs-node when it loads, else pure-JS cpu). */
  readonly log?: (message: string) => void;
}

/** Defaults from the issue: 64 hidden units, dropout 0.1. */
export const DEFAULT_LSTM_OPTIONS: LstmTrainingOptions = {
  hiddenUnits: 64,
  dropout: 0.1,
  tokenEmbeddingSize: 32,
  maxSequenceLength: 16,
  maxVocabulary: 1000,
  epochs: 8,
  batchSize: 32,
  learningRate: 0.01,
  seed: 42,
};

/** Outcome of one training job. */
export interface TrainingResult {
  readonly encoder: LstmTemplateEncoder;
  readonly backend: string;
  readonly finalLoss: number;
  readonly templates: number;
}

const PAD = 0;
const OOV = 1;
let backendChoice: Promise<string> | undefined;

/** Picks the fastest available tfjs backend once: tfjs-node if it loads, else the pure-JS cpu backend. */
export function selectTfBackend(log?: (message: string) => void): Promise<string> {
  backendChoice ??= (async () => {
    // A variable specifier keeps the type checker and bundlers from requiring the optional native package.
    const nativePackage = '@tensorflow/tfjs-node';
    try {
      await import(nativePackage);
      if (tf.findBackend('tensorflow') !== null) {
        await tf.setBackend('tensorflow');
      }
    } catch {
      await tf.setBackend('cpu');
    }
    await tf.ready();
    return tf.getBackend();
  })();
  return backendChoice.then((name) => {
    log?.(`log embeddings: tfjs backend "${name}"${name === 'cpu' ? ' (pure JS; @tensorflow/tfjs-node not available)' : ''}`);
    return name;
  });
}

/** Trains the autoencoder on `templates` (token lists) and returns the encoder. */
export async function trainLstmEncoder(templates: readonly (readonly string[])[], options: Partial<LstmTrainingOptions> = {}): Promise<TrainingResult> {
  const o = { ...DEFAULT_LSTM_OPTIONS, ...options };
  const backend = await selectTfBackend(o.log);
  const vocabulary = buildVocabulary(templates, o.maxVocabulary);
  const vocabSize = vocabulary.size + 2;
  const seqs = templates.map((t) => toIds(t, vocabulary, o.maxSequenceLength));
  const seed = o.seed;

  const input = tf.input({ shape: [o.maxSequenceLength], dtype: 'int32' });
  const embedded = tf.layers
    .embedding({ inputDim: vocabSize, outputDim: o.tokenEmbeddingSize, maskZero: false, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }) })
    .apply(input) as tf.SymbolicTensor;
  const code = tf.layers
    .lstm({ units: o.hiddenUnits, returnSequences: false, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }), name: 'code' })
    .apply(embedded) as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ rate: o.dropout, seed: seed + 3 }).apply(code) as tf.SymbolicTensor;
  const repeated = tf.layers.repeatVector({ n: o.maxSequenceLength }).apply(dropped) as tf.SymbolicTensor;
  const decoded = tf.layers
    .lstm({ units: o.hiddenUnits, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 4 }), recurrentInitializer: tf.initializers.glorotUniform({ seed: seed + 5 }) })
    .apply(repeated) as tf.SymbolicTensor;
  const logits = tf.layers
    .timeDistributed({ layer: tf.layers.dense({ units: vocabSize, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 6 }) }) })
    .apply(decoded) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits });
  model.compile({ optimizer: tf.train.adam(o.learningRate), loss: 'sparseCategoricalCrossentropy' });

  const x = tf.tensor2d(seqs, [seqs.length, o.maxSequenceLength], 'int32');
  const y = tf.tensor3d(seqs.map((s) => s.map((id) => [id])), [seqs.length, o.maxSequenceLength, 1], 'float32');
  let finalLoss = Number.NaN;
  try {
    // shuffle: false — batch order is part of what the seed must pin down.
    const history = await model.fit(x, y, { epochs: o.epochs, batchSize: o.batchSize, shuffle: false, verbose: 0 });
    const losses = history.history['loss'] as number[];
    finalLoss = losses[losses.length - 1] ?? Number.NaN;
  } finally {
    x.dispose();
    y.dispose();
  }
  const encoderModel = tf.model({ inputs: input, outputs: code });
  const version = `lstm-ae:${seed}:${templates.length}:${vocabulary.size}:${finalLoss.toFixed(6)}`;
  return { encoder: new LstmTemplateEncoder(encoderModel, vocabulary, o.maxSequenceLength, o.hiddenUnits, version), backend, finalLoss, templates: templates.length };
}

/** A trained encoder: token ids → LSTM bottleneck state. */
export class LstmTemplateEncoder implements TemplateEncoder {
  constructor(
    private readonly model: tf.LayersModel,
    private readonly vocabulary: ReadonlyMap<string, number>,
    private readonly maxSequenceLength: number,
    readonly codeSize: number,
    readonly version: string,
  ) {}

  /** Codes for a batch of templates; synchronous on the cpu backend. */
  encode(templates: readonly (readonly string[])[]): number[][] {
    if (templates.length === 0) return [];
    return tf.tidy(() => {
      const x = tf.tensor2d(templates.map((t) => toIds(t, this.vocabulary, this.maxSequenceLength)), [templates.length, this.maxSequenceLength], 'int32');
      const out = this.model.predict(x) as tf.Tensor;
      const flat = out.dataSync();
      const rows: number[][] = [];
      for (let r = 0; r < templates.length; r++) rows.push(Array.from(flat.subarray(r * this.codeSize, (r + 1) * this.codeSize)));
      return rows;
    });
  }

  /** Frees the weights. */
  dispose(): void {
    this.model.dispose();
  }
}

function buildVocabulary(templates: readonly (readonly string[])[], max: number): Map<string, number> {
  const freq = new Map<string, number>();
  for (const t of templates) for (const tok of termsOf(t)) freq.set(tok, (freq.get(tok) ?? 0) + 1);
  // Ties broken by the token itself so the vocabulary does not depend on input order quirks.
  const ranked = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, max);
  return new Map(ranked.map(([tok], i) => [tok, i + 2]));
}

function toIds(tokens: readonly string[], vocabulary: ReadonlyMap<string, number>, len: number): number[] {
  const ids = termsOf(tokens)
    .slice(0, len)
    .map((t) => vocabulary.get(t) ?? OOV);
  while (ids.length < len) ids.push(PAD);
  return ids;
}
