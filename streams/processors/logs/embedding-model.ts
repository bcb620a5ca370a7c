/**
 * The trained template encoder as data: the token embedding and the LSTM weights of the
 * autoencoder's encoding half, versioned and content-hashed. The runtime trains it in the
 * background (streams/runtime/logs/) and offers it to the processor; the processor keeps the
 * one it adopted in its state store, so a restart restores exactly the weights its clusters
 * were computed with, and runs the forward pass itself in plain JS — no tensorflow here,
 * and codes are a pure function of (weights, tokens).
 */
import type { TemplateEncoder } from './template-encoder.ts';
import { termsOf } from './sliding-tfidf.ts';

/** Serializable weights of the encoder (Float32 little-endian, base64, so the value survives any JSON round trip). */
export interface EmbeddingModel {
  /** Monotonic per partition: a processor adopts an offered model only when its version is higher. */
  readonly version: number;
  /** SHA-256 (hex) of shape, vocabulary and weights; identifies the weights whatever their version. */
  readonly sha: string;
  readonly partition: number;
  readonly hiddenUnits: number;
  readonly tokenEmbeddingSize: number;
  readonly maxSequenceLength: number;
  /** Token of id i + 2 (0 = padding, 1 = out of vocabulary). */
  readonly vocabulary: readonly string[];
  /** [vocabulary + 2, tokenEmbeddingSize]. */
  readonly embeddings: string;
  /** [tokenEmbeddingSize, 4 · hiddenUnits], gate order i, f, c, o (Keras/tfjs layout). */
  readonly kernel: string;
  /** [hiddenUnits, 4 · hiddenUnits]. */
  readonly recurrentKernel: string;
  /** [4 · hiddenUnits]. */
  readonly bias: string;
  /** Templates the model was trained on, training loss and tfjs backend: provenance for the reader of an event. */
  readonly trainedOnTemplates: number;
  /** Epochs actually run (training stops early once the loss stops improving). */
  readonly epochsRun?: number;
  readonly finalLoss: number;
  readonly backend: string;
  /** Highest template id the training saw: templates above it are the "new" ones that trigger the next training. */
  readonly maxTemplateId?: number;
}

/**
 * Largest stored model record (see modelRecordBytes) a processor adopts and a trainer offers: the runtime's changelog
 * record limit (CHANGELOG_MAX_MESSAGE_BYTES, 4 MiB, streams/runtime/kafka/send-chunks.ts) minus 64 KiB for the key,
 * framing and the estimate's slack. A larger record would be dead-lettered from the changelog while the in-memory
 * store kept the model, so a restart would change every code. Written out here because processors never import the
 * runtime; test/unit/logs/embedding-model-bound.test.ts keeps it below the runtime's limit.
 */
export const MAX_EMBEDDING_MODEL_BYTES = 4 * 1024 * 1024 - 64 * 1024;

/** Bytes of the changelog value that carries `model` (the log-cluster store's `emb` record, JSON as the runtime writes it). */
export function modelRecordBytes(model: EmbeddingModel): number {
  return Buffer.byteLength(JSON.stringify({ kind: 'embedding', model }));
}

/** Where the processor learns of newly trained models (the runtime's trainer); undefined = nothing offered. */
export interface EmbeddingModelSource {
  latest(partition: number): EmbeddingModel | undefined;
}

/** The label events carry: `lstm-ae-v<version>-<sha prefix>`. */
export function embeddingVersionOf(model: Pick<EmbeddingModel, 'version' | 'sha'>): string {
  return `lstm-ae-v${model.version}-${model.sha.slice(0, 12)}`;
}

/** Float32 array → base64 (little-endian, as the model stores it). */
export function encodeFloats(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

/** base64 → Float32 array, checking the expected length. */
export function decodeFloats(b64: string, expected: number, field: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  if (buf.byteLength !== expected * 4) throw new Error(`embedding model: ${field} holds ${buf.byteLength / 4} floats, expected ${expected}`);
  const out = new Float32Array(expected);
  for (let i = 0; i < expected; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/** True when `v` has the fields of an EmbeddingModel (store values come back from JSON). */
export function isEmbeddingModel(v: unknown): v is EmbeddingModel {
  if (v === null || typeof v !== 'object') return false;
  const m = v as Record<string, unknown>;
  return (
    typeof m['version'] === 'number' && typeof m['sha'] === 'string' && typeof m['hiddenUnits'] === 'number' && typeof m['tokenEmbeddingSize'] === 'number' &&
    typeof m['maxSequenceLength'] === 'number' && Array.isArray(m['vocabulary']) && typeof m['embeddings'] === 'string' && typeof m['kernel'] === 'string' &&
    typeof m['recurrentKernel'] === 'string' && typeof m['bias'] === 'string'
  );
}

const PAD = 0;
const OOV = 1;

/** Token ids of a template as the network sees them (cut or padded to `len`); shared with training so both agree. */
export function tokenIds(tokens: readonly string[], vocabulary: ReadonlyMap<string, number>, len: number): number[] {
  const ids = termsOf(tokens)
    .slice(0, len)
    .map((t) => vocabulary.get(t) ?? OOV);
  while (ids.length < len) ids.push(PAD);
  return ids;
}

/** The training vocabulary: the `max` most frequent constant tokens, ties by token so input order does not matter. */
export function buildVocabulary(templates: readonly (readonly string[])[], max: number): string[] {
  const freq = new Map<string, number>();
  for (const t of templates) for (const tok of termsOf(t)) freq.set(tok, (freq.get(tok) ?? 0) + 1);
  return [...freq.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, max)
    .map(([tok]) => tok);
}

/** The vocabulary as token → id. */
export function vocabularyIndex(vocabulary: readonly string[]): Map<string, number> {
  return new Map(vocabulary.map((tok, i) => [tok, i + 2]));
}

const hardSigmoid = (x: number): number => (x <= -2.5 ? 0 : x >= 2.5 ? 1 : 0.2 * x + 0.5);

/** Encoder over an EmbeddingModel: the LSTM's final hidden state for the template's token sequence. */
export class LstmCodeEncoder implements TemplateEncoder {
  readonly version: string;
  readonly codeSize: number;
  private readonly vocab: Map<string, number>;
  private readonly emb: Float32Array;
  private readonly kernel: Float32Array;
  private readonly recurrent: Float32Array;
  private readonly bias: Float32Array;

  constructor(readonly model: EmbeddingModel) {
    const u = model.hiddenUnits;
    const e = model.tokenEmbeddingSize;
    this.version = embeddingVersionOf(model);
    this.codeSize = u;
    this.vocab = vocabularyIndex(model.vocabulary);
    this.emb = decodeFloats(model.embeddings, (model.vocabulary.length + 2) * e, 'embeddings');
    this.kernel = decodeFloats(model.kernel, e * 4 * u, 'kernel');
    this.recurrent = decodeFloats(model.recurrentKernel, u * 4 * u, 'recurrentKernel');
    this.bias = decodeFloats(model.bias, 4 * u, 'bias');
  }

  /** Codes for a batch of templates (tfjs LSTM semantics: tanh activation, hard-sigmoid gates). */
  encode(templates: readonly (readonly string[])[]): number[][] {
    return templates.map((t) => this.encodeOne(t));
  }

  private encodeOne(tokens: readonly string[]): number[] {
    const u = this.model.hiddenUnits;
    const e = this.model.tokenEmbeddingSize;
    const g = 4 * u;
    const h = new Float64Array(u);
    const c = new Float64Array(u);
    const z = new Float64Array(g);
    for (const id of tokenIds(tokens, this.vocab, this.model.maxSequenceLength)) {
      for (let j = 0; j < g; j++) z[j] = this.bias[j]!;
      const xo = id * e;
      for (let k = 0; k < e; k++) {
        const xk = this.emb[xo + k]!;
        if (xk === 0) continue;
        const row = k * g;
        for (let j = 0; j < g; j++) z[j]! += xk * this.kernel[row + j]!;
      }
      for (let k = 0; k < u; k++) {
        const hk = h[k]!;
        if (hk === 0) continue;
        const row = k * g;
        for (let j = 0; j < g; j++) z[j]! += hk * this.recurrent[row + j]!;
      }
      for (let j = 0; j < u; j++) {
        const i = hardSigmoid(z[j]!);
        const f = hardSigmoid(z[u + j]!);
        const cc = Math.tanh(z[2 * u + j]!);
        const o = hardSigmoid(z[3 * u + j]!);
        c[j] = f * c[j]! + i * cc;
        h[j] = o * Math.tanh(c[j]!);
      }
    }
    return Array.from(h);
  }
}
