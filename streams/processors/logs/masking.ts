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
  /**
   * Classify every token by its role (see `classifyTokens`): numbers, ids, host:port, key=value values and quantities
   * are variables, words are constants. Off: only the regex rules of MASK_RULES apply.
   */
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
const NUMBER_RULE = MASK_RULES.find((r) => r.name === 'number')!;
// The rules that see the whole line; numbers are judged per token, after a token's role is known.
const LINE_RULES = MASK_RULES.filter((r) => r !== NUMBER_RULE);

// Necessary conditions for a rule to match (every match of its pattern contains these), checked with indexOf.
const RULE_NEEDS: ReadonlyMap<string, (text: string, digit: boolean) => boolean> = new Map([
  ['timestamp', (t, d) => d && t.indexOf('-') >= 0 && t.indexOf(':') >= 0],
  ['time', (t, d) => d && t.indexOf(':') >= 0],
  ['uuid', (t) => t.length >= 36 && t.indexOf('-') >= 0],
  ['ipv4', (t, d) => d && t.indexOf('.') >= 0],
  ['mac', (t) => t.indexOf(':') >= 0],
  ['url', (t) => t.indexOf('://') >= 0],
  ['path', (t) => t.indexOf('/') >= 0],
  ['hex', (t, d) => d && (t.indexOf('0x') >= 0 || t.indexOf('0X') >= 0)],
  ['longhex', (_t, d) => d],
  ['number', (_t, d) => d],
]);

/** Masks variable parts of `line` and returns its tokens (whitespace-separated). */
export function maskLine(line: string, options: MaskingOptions = DEFAULT_MASKING): string[] {
  let text = line;
  if (text.indexOf('0x') >= 0 || text.indexOf('0X') >= 0) {
    if (CAN_CONTEXT.test(text)) text = text.replace(CAN_ID, '<CANID>');
  }
  const digit = HAS_DIGIT.test(text);
  for (const rule of options.digitTokensAreVariables ? LINE_RULES : MASK_RULES) {
    // A rule whose match needs a character the line lacks cannot match: skipping its scan keeps the masker ahead of
    // the miner (each scan of the line costs as much as the whole tree walk).
    const need = RULE_NEEDS.get(rule.name);
    if (need !== undefined && !need(text, digit)) continue;
    rule.pattern.lastIndex = 0;
    text = text.replace(rule.pattern, rule.token);
  }
  const tokens = text.split(WHITESPACE).filter((t) => t.length > 0);
  return options.digitTokensAreVariables ? classifyTokens(tokens) : tokens;
}

// Edges a token carries without changing its role: `(5070,` is the number 5070.
const LEAD_CHARS = '([{"\'`';
const TRAIL_CHARS = ')]},;.:!?"\'`';
const TRAIL = /[)\]},;.:!?"'`]+$/;
const NUMBER = /^[-+]?\d+(?:[.,]\d+)*$/;
// A host name (at least one dot) with a port: one variable, judged before any number inside it is masked.
const HOST_PORT = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+:\d{1,5}$/;
// key=value or key:value with a word-like key; the value is judged on its own.
const KEY_VALUE = /^([A-Za-z_][A-Za-z_.-]*[A-Za-z_])([=:])(.+)$/;
// A word with one digit names a thing (SOCKS5, mp4, A2dp, ipv4); two or more digits make it an id.
const NAME_WITH_DIGIT = /^[A-Za-z]+\d[A-Za-z]*$|^\d[A-Za-z]{2,}$/;
// Units after a number: the bracketed restatement that may follow (`89652 bytes (87.5 KB)`) is the same quantity.
const UNIT = /^(?:[kKMGTP]?i?B|bytes?|bits?|[kKMG]?bps|[mun\u00b5]?s|secs?|seconds?|min|minutes?|h|hours?|%|[kKM]?Hz|V|mV|A|mA|W|kW|C|rpm)$/;
const MAX_QUOTED_TOKENS = 8;
// A lower-case dotted host name ending in a top-level-domain-like label (`ns.example.com`); package and class names end otherwise.
const HOST_NAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,4}$/;
// Parts of a written date are values of the date, whatever words they are.
const DATE_WORD = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$/;

/** True for a unit word (`KB`, `sec`, `h`, `%`): a quantity may carry one more or one fewer of them (`1 h 5 min` vs `12 min`). */
export function isUnitWord(token: string): boolean {
  return UNIT.test(token);
}

/** The key of a key=value / key:value token (`overlap:` of `overlap:false`), else undefined. */
export function keyOf(token: string): string | undefined {
  const m = KEY_VALUE.exec(token);
  return m === null ? undefined : m[1]! + m[2]!;
}

/** Role of one token's core (edges stripped): the masked core. */
function classifyCore(core: string): string {
  if (core.length === 0 || MASK_TOKEN.test(core)) return core;
  const hasMask = core.includes("<");
  if (!hasMask && !HAS_DIGIT.test(core)) return DATE_WORD.test(core) || (core.includes('.') && HOST_NAME.test(core)) ? WILDCARD : core;
  if (NUMBER.test(core)) return '<NUM>';
  const colon = core.indexOf(':');
  if (colon > 0 && core.indexOf('.') > 0 && HOST_PORT.test(core)) return WILDCARD;
  if (colon > 0 || core.indexOf('=') > 0) {
    const kv = KEY_VALUE.exec(core);
    if (kv !== null) {
      // Whatever class the value was masked as (<NUM> here, <HEX> there), it is one variable of one key.
      const value = kv[3]!;
      return HAS_DIGIT.test(value) || value.includes('<') ? `${kv[1]}${kv[2]}${WILDCARD}` : core;
    }
  }
  if (!HAS_DIGIT.test(core)) return core;
  if (NAME_WITH_DIGIT.test(core)) return core;
  NUMBER_RULE.pattern.lastIndex = 0;
  const masked = core.replace(NUMBER_RULE.pattern, NUMBER_RULE.token);
  return HAS_DIGIT.test(masked) ? WILDCARD : masked;
}

/**
 * Turns whitespace tokens into constants and variables by the role each plays, not by "contains a digit":
 * a quoted span is one token, a host:port or an id is one variable, a key=value keeps its key and masks a
 * variable value, a word with a single digit is a name, a number is <NUM>, a bracketed quantity after a
 * quantity is dropped, and a run of adjacent variables is one variable (so a list of 2 or 3 numbers is one shape).
 */
export function classifyTokens(raw: readonly string[]): string[] {
  const out: string[] = [];
  let run = 0;
  let fold = false;
  for (let i = 0; i < raw.length; i++) {
    let tok = raw[i]!;
    const q = tok[0];
    // Hot path: a plain word (no digit, mask, dot, quote or bracket, and not a capitalised short word) is a constant.
    if (q !== '"' && q !== "'" && q !== '(' && q !== '[' && tok.length > 2 && plainWord(tok) && !(tok.length <= 4 && DATE_WORD.test(tok.slice(0, 3)))) {
      out.push(tok);
      run = 0;
      continue;
    }
    if ((q === '"' || q === "'") && !(tok.length > 1 && tok.endsWith(q))) {
      // A quoted value with spaces is one token: its word count must not change the template's shape.
      let j = i + 1;
      while (j < raw.length && j - i < MAX_QUOTED_TOKENS && !raw[j]!.replace(TRAIL, (t) => t.replace(/^[^"']*/, '')).includes(q)) j++;
      if (j < raw.length && j - i < MAX_QUOTED_TOKENS) {
        tok = raw.slice(i, j + 1).join(' ');
        i = j;
      }
    }
    let a = 0;
    while (a < tok.length && LEAD_CHARS.includes(tok[a]!)) a++;
    let b = tok.length;
    while (b > a && TRAIL_CHARS.includes(tok[b - 1]!)) b--;
    const lead = tok.slice(0, a);
    const trail = tok.slice(b);
    const core = tok.slice(a, b);
    const masked = core.length === 0 ? tok : lead + classifyCore(core) + trail;
    if (lead.startsWith('(') || lead.startsWith('[')) {
      // A bracketed restatement of the quantity just seen: "<NUM> bytes (87.5 KB)" is "<NUM> bytes".
      const before = out[out.length - 1];
      const afterQuantity = before === '<NUM>' || (before !== undefined && UNIT.test(before) && out[out.length - 2] === '<NUM>');
      if (afterQuantity && HAS_DIGIT.test(core)) {
        const close = lead[0] === '(' ? ')' : ']';
        let j = i;
        while (j < raw.length && j - i < 3 && !raw[j]!.includes(close)) j++;
        if (j < raw.length && j - i < 3) {
          const tail = raw[j]!.slice(raw[j]!.lastIndexOf(close) + 1);
          if (tail.length > 0) out.push(tail);
          i = j;
          continue;
        }
      }
    }
    out.push(masked);
    run = variableLike(masked) ? run + 1 : 0;
    if (run === 2) fold = true;
  }
  return fold ? foldVariableRuns(out) : out;
}

// No digit, no mask, no dot: nothing in the token can be a variable by role.
function plainWord(tok: string): boolean {
  for (let k = 0; k < tok.length; k++) {
    const c = tok.charCodeAt(k);
    if ((c >= 48 && c <= 57) || c === 60 || c === 46) return false;
  }
  return true;
}

const EMPTY_VALUE = /^(?:\(\)|\[\]|\{\}|""|''|-)$/;

// Variable-like: a mask, a token holding one (blk_-<NUM>, (<*>)), or an empty value; not a key=value, whose key is a constant.
function variableLike(token: string): boolean {
  if (token.indexOf('<') < 0) return token.length <= 2 && EMPTY_VALUE.test(token);
  return MASK_TOKEN.test(token) || !KEY_VALUE.test(token);
}

/** A run of two or more variable-like tokens becomes one `<*>`: lists of ids or numbers of any length have one shape. */
function foldVariableRuns(tokens: string[]): string[] {
  const out: string[] = [];
  let run = 0;
  for (const t of tokens) {
    if (!variableLike(t)) { run = 0; out.push(t); continue; }
    run++;
    if (run === 1) out.push(t);
    else if (run === 2) out[out.length - 1] = WILDCARD;
  }
  return out;
}

/** True for a token that stands for a variable (any mask class or the wildcard). */
export function isVariableToken(token: string): boolean {
  return MASK_TOKEN.test(token);
}
