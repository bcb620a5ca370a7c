/**
 * The learned half of a template vector, as the processor sees it: something that maps
 * a template's tokens to a fixed-size code. The processor is handed an encoder (through
 * a holder the runtime may swap after background training) and calls it only for
 * templates it has not encoded yet under that encoder's version — never per log line.
 */

/** Maps template token sequences to fixed-size codes. Must be deterministic for a given version. */
export interface TemplateEncoder {
  /** Identifies the trained weights; codes from different versions are never mixed. */
  readonly version: string;
  /** Length of each code. */
  readonly codeSize: number;
  /** Codes for a batch of templates (one row per template). */
  encode(templates: readonly (readonly string[])[]): number[][];
}

/** Mutable handle the runtime updates when a training job finishes; `current: null` = TF-IDF only. */
export interface EncoderHolder {
  current: TemplateEncoder | null;
}

/** A holder with no learned encoder (vectors are the TF-IDF projection alone). */
export function tfidfOnlyHolder(): EncoderHolder {
  return { current: null };
}
