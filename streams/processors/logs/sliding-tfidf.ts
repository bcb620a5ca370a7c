/**
 * TF-IDF over template tokens whose document frequencies come from a sliding window of
 * the most recently (re)seen templates (500 by default, as the field used). Old
 * templates leave the window and take their document counts with them, so the
 * vocabulary follows what the fleet logs *now* and is bounded by window × tokens per
 * template plus a hard cap — it cannot grow without bound under a flood of new lines.
 */
import { WILDCARD } from './masking.ts';

/** Sizing of the sliding vocabulary. */
export interface SlidingTfidfOptions {
  /** Templates kept in the document window. */
  readonly windowSize: number;
  /** Hard cap on distinct tokens with a document frequency; new tokens past it are ignored and counted. */
  readonly maxVocabulary: number;
}

/** Defaults: the 500-template window used in the field. */
export const DEFAULT_TFIDF_OPTIONS: SlidingTfidfOptions = { windowSize: 500, maxVocabulary: 8192 };

/** Serializable TF-IDF window: documents oldest first. */
export interface TfidfSnapshot {
  readonly documents: readonly (readonly [number, readonly string[]])[];
  readonly droppedTokens: number;
}

/** Tokens that take part in TF-IDF (the bare wildcard carries no meaning). */
export function termsOf(tokens: readonly string[]): string[] {
  return tokens.filter((t) => t !== WILDCARD);
}

/** Sliding-window document frequencies and TF-IDF weights for templates. */
export class SlidingTfidf {
  readonly options: SlidingTfidfOptions;
  // Insertion order = age; re-observing a template moves it to the young end.
  private readonly docs = new Map<number, string[]>();
  private readonly df = new Map<string, number>();
  private dropped = 0;
  /** Bumped whenever the document set or a document's terms change (weights may differ); not persisted. */
  version = 0;

  constructor(options: Partial<SlidingTfidfOptions> = {}) {
    this.options = { ...DEFAULT_TFIDF_OPTIONS, ...options };
  }

  /** Distinct tokens currently in the vocabulary. */
  get vocabularySize(): number {
    return this.df.size;
  }

  /** Templates currently in the window. */
  get documentCount(): number {
    return this.docs.size;
  }

  /** Token occurrences ignored because the vocabulary was full. */
  get droppedTokens(): number {
    return this.dropped;
  }

  /** Template ids in the window, oldest first. */
  documentIds(): number[] {
    return [...this.docs.keys()];
  }

  /** Document frequency of a token in the window (0 when absent). */
  documentFrequency(token: string): number {
    return this.df.get(token) ?? 0;
  }

  /** Adds or refreshes template `id` with its current tokens; evicts the oldest beyond the window. */
  observe(id: number, tokens: readonly string[]): void {
    const existing = this.docs.get(id);
    if (existing !== undefined && sameTerms(existing, tokens)) {
      // Unchanged document: only its age changes, so the weights (and `version`) stay as they are.
      this.docs.delete(id);
      this.docs.set(id, existing);
      return;
    }
    this.version++;
    this.forget(id);
    const unique = [...new Set(termsOf(tokens))];
    const kept: string[] = [];
    for (const t of unique) {
      const n = this.df.get(t);
      if (n === undefined && this.df.size >= this.options.maxVocabulary) {
        this.dropped++;
        continue;
      }
      this.df.set(t, (n ?? 0) + 1);
      kept.push(t);
    }
    this.docs.set(id, kept);
    while (this.docs.size > this.options.windowSize) this.forget(this.docs.keys().next().value as number);
  }

  /** Removes template `id` from the window (merged or evicted). */
  forget(id: number): void {
    const old = this.docs.get(id);
    if (old === undefined) return;
    this.version++;
    this.docs.delete(id);
    for (const t of old) {
      const n = (this.df.get(t) ?? 1) - 1;
      if (n <= 0) this.df.delete(t);
      else this.df.set(t, n);
    }
  }

  /** Smoothed inverse document frequency: ln((1+N)/(1+df)) + 1. */
  idf(token: string): number {
    return Math.log((1 + this.docs.size) / (1 + (this.df.get(token) ?? 0))) + 1;
  }

  /** L2-normalised TF-IDF weights of `tokens`; out-of-vocabulary tokens are dropped. */
  weights(tokens: readonly string[]): Map<string, number> {
    const tf = new Map<string, number>();
    for (const t of termsOf(tokens)) if (this.df.has(t)) tf.set(t, (tf.get(t) ?? 0) + 1);
    let norm = 0;
    for (const [t, n] of tf) {
      const w = n * this.idf(t);
      tf.set(t, w);
      norm += w * w;
    }
    norm = Math.sqrt(norm);
    if (norm > 0) for (const [t, w] of tf) tf.set(t, w / norm);
    return tf;
  }

  /** State for a restart (the window rebuilds the identical vocabulary). */
  snapshot(): TfidfSnapshot {
    return { documents: [...this.docs.entries()], droppedTokens: this.dropped };
  }

  /** Rebuilds a window from a snapshot. */
  static restore(snap: TfidfSnapshot, options: Partial<SlidingTfidfOptions> = {}): SlidingTfidf {
    const t = new SlidingTfidf(options);
    for (const [id, tokens] of snap.documents) t.observe(id, tokens);
    t.dropped = snap.droppedTokens;
    return t;
  }
}

function sameTerms(kept: readonly string[], tokens: readonly string[]): boolean {
  const unique = new Set(termsOf(tokens));
  if (unique.size !== kept.length) return false;
  for (const t of kept) if (!unique.has(t)) return false;
  return true;
}
