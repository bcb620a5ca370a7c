/**
 * Masking of the variable parts of a log line before template mining. Each class of
 * variable keeps a recognisable token (`<IP>`, `<CANID>`, …) instead of a bare `<*>`
 * so that a template still says *what* varied — an operator reading "timeout on CAN id
 * <CANID>" learns more than "timeout on <*>". The rules are one fixed, ordered list for
 * every source: per-dataset regexes are exactly what the field's tuned parsers rely on
 * and what a fleet cannot maintain.
 */

/** One masking rule: every match of `pattern` becomes `token`. */
export interface MaskRule {
  readonly name: string;
  readonly pattern: RegExp;
  readonly token: string;
}

/** Options of the masker. */
export interface MaskingOptions {
  /** Treat every remaining token that contains a digit as a variable (`<*>`); see DEFAULT_MASKING. */
  readonly digitTokensAreVariables: boolean;
}

/** The one configuration used for every source (and for every benchmark dataset). */
export const DEFAULT_MASKING: MaskingOptions = { digitTokensAreVariables: true };

/** Wildcard token of a template position that varies. */
export const WILDCARD = '<*>';

// A line talks about CAN when it names the bus or an identifier field; only then is 0x2A3 a CAN id.
const CAN_CONTEXT = /\bCAN\b|\bcan[_ -]?id\b|\barb(?:itration)?[_ -]?id\b|\bcanbus\b/i;

/** Ordered rules: specific classes first so a timestamp is not eaten as numbers. */
export const MASK_RULES: readonly MaskRule[] = [
  { name: 'timestamp', pattern: /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\b/g, token: '<TS>' },
  { name: 'time', pattern: /(?<![\d:])\d{1,2}:\d{2}:\d{2}(?:[.,:]\d{1,6})?(?![\d:])/g, token: '<TS>' },
  { name: 'uuid', pattern: /\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g, token: '<ID>' },
  { name: 'ipv4', pattern: /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?(?![\d.])/g, token: '<IP>' },
  { name: 'mac', pattern: /\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\b/g, token: '<MAC>' },
  { name: 'url', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, token: '<URL>' },
  { name: 'path', pattern: /(?<![\w.<>])(?:\/[\w.@%+-]+){2,}\/?/g, token: '<PATH>' },
  { name: 'hex', pattern: /\b0[xX][0-9a-fA-F]+\b/g, token: '<HEX>' },
  { name: 'longhex', pattern: /\b(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\b/g, token: '<HEX>' },
  { name: 'number', pattern: /(?<![A-Za-z0-9_.])[-+]?\d+(?:\.\d+)?(?![A-Za-z0-9_])/g, token: '<NUM>' },
];

const CAN_ID = /\b0[xX][0-9a-fA-F]{1,8}\b/g;
const WHITESPACE = /\s+/;
const HAS_DIGIT = /\d/;
const MASK_TOKEN = /^<[A-Z*]+>$/;

/** Masks variable parts of `line` and returns its tokens (whitespace-separated). */
export function maskLine(line: string, options: MaskingOptions = DEFAULT_MASKING): string[] {
  let text = line;
  if (text.indexOf('0x') >= 0 || text.indexOf('0X') >= 0) {
    if (CAN_CONTEXT.test(text)) text = text.replace(CAN_ID, '<CANID>');
  }
  for (const rule of MASK_RULES) {
    rule.pattern.lastIndex = 0;
    text = text.replace(rule.pattern, rule.token);
  }
  const tokens = text.split(WHITESPACE).filter((t) => t.length > 0);
  if (!options.digitTokensAreVariables) return tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (HAS_DIGIT.test(t) && !MASK_TOKEN.test(t)) tokens[i] = WILDCARD;
  }
  return tokens;
}

/** True for a token that stands for a variable (any mask class or the wildcard). */
export function isVariableToken(token: string): boolean {
  return MASK_TOKEN.test(token);
}
