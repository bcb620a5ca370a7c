/**
 * The learned half of a template vector, as the processor sees it: something that maps
 * a template's tokens to a fixed-size code (LstmCodeEncoder over a trained EmbeddingModel).
 * The processor calls it only for templates it has not encoded yet under that encoder's
 * version — never per log line.
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
