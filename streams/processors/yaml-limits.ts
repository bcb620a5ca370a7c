/**
 * Explicit bounds for the YAML files people edit and publish (FMEA worksheets, suppression
 * policies). A worksheet also arrives as text on the rules topic, where anyone who can write
 * to the topic can send it, so the bounds are checked on the text and on the parsed tree
 * before anything expands it: file size first (nothing is parsed past it), then no aliases
 * (an alias bomb expands a few hundred bytes into millions of nodes; rule and policy files
 * need none), then nesting depth and node count. Pure and total: every problem is returned
 * with its offset in the text, nothing is thrown.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

export interface YamlLimits {
  /** Largest file in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of maps and lists (the top-level map is depth 1). */
  readonly maxDepth: number;
  /** Most YAML nodes (maps, lists, keys and values) in the file. */
  readonly maxNodes: number;
  /** Widest indentation of a line, block indicators (`- `, `? `, `: `) included, in columns. */
  readonly maxIndent: number;
}

/** A limit the text breaks, at an offset of the text (0 when it concerns the whole file). */
export interface YamlLimitProblem {
  readonly offset: number;
  readonly message: string;
}

export interface BoundedYaml {
  readonly lineCounter: LineCounter;
  /** Absent when the text is over the size or nesting limit (it is then not parsed at all). */
  readonly doc?: Document;
  /** Broken limits; the document's own syntax errors stay in `doc.errors`. */
  readonly problems: readonly YamlLimitProblem[];
}

/**
 * Parses `text` within `limits`. Check `problems` and `doc.errors` before `doc.toJS()`.
 * Duplicate keys are a problem too: the parser's own check compares every key with every
 * earlier one (20,000 keys: seconds), this one keeps a set per map.
 */
export function parseBoundedYaml(text: string, limits: YamlLimits): BoundedYaml {
  const lineCounter = new LineCounter();
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
    return { lineCounter, problems: [{ offset: 0, message: `file is over the limit of ${limits.maxBytes} bytes (split it into several files)` }] };
  }
  // The parser recurses once per nesting level; past a few hundred levels it runs out of stack,
  // and V8 can abort the whole process (not throw) when that happens while it compiles one of
  // the parser's regular expressions. So nesting is bounded on the text, before parsing.
  const nesting = textNestingProblem(text, limits);
  if (nesting) {
    // Not parsed, so the line starts are counted here for the caller to locate the problem.
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < nesting.offset; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    return { lineCounter, problems: [nesting] };
  }
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    // The parser reports syntax problems as document errors; this is for what it does not foresee.
    return { lineCounter, problems: [{ offset: 0, message: `YAML could not be parsed: ${firstLine(err)}` }] };
  }
  if (doc.errors.length > 0) return { lineCounter, doc, problems: [] };
  return { lineCounter, doc, problems: treeProblems(doc, limits) };
}

/**
 * Aliases, duplicate and non-scalar keys, depth and node count, walked with an explicit stack (a deep tree
 * must not overflow the call stack that is meant to report it). Stops at the first problem.
 */
function treeProblems(doc: Document, limits: YamlLimits): YamlLimitProblem[] {
  const problems: YamlLimitProblem[] = [];
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || node === undefined) continue;
    const offset = (node as { range?: [number, number, number] }).range?.[0] ?? 0;
    if (isPair(node)) {
      // A list or map as a key (`? [a, b]: c`) is no field name; read as an object it becomes a string and a process warning.
      if (isMap(node.key) || isSeq(node.key)) {
        problems.push({ offset: node.key.range?.[0] ?? offset, message: 'a key must be a plain value (a name), not a list or map' });
        break;
      }
      stack.push({ node: node.value, depth }, { node: node.key, depth });
      continue;
    }
    if (++nodes > limits.maxNodes) {
      problems.push({ offset, message: `more than ${limits.maxNodes} YAML nodes; split the file` });
      break;
    }
    if (isAlias(node)) {
      problems.push({ offset, message: `YAML alias *${clip(node.source, 40)} is not accepted in this file; write the value out (aliases can expand a small file without bound)` });
      break;
    }
    if (isMap(node) || isSeq(node)) {
      if (depth > limits.maxDepth) {
        problems.push({ offset, message: `nested deeper than ${limits.maxDepth} levels` });
        break;
      }
      const repeated = isMap(node) ? repeatedKey(node.items) : undefined;
      if (repeated) {
        problems.push(repeated);
        break;
      }
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], depth: depth + 1 });
    }
  }
  return problems;
}

/**
 * Nesting visible in the text: flow brackets (`[`, `{`) open at once, outside quotes and
 * comments, and each line's indentation with its leading block indicators. Linear, no
 * recursion. A bracket inside a plain scalar counts too; that only matters past maxDepth.
 */
function textNestingProblem(text: string, limits: YamlLimits): YamlLimitProblem | undefined {
  let depth = 0;
  let quote = '';
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') { quote = ''; lineStart = true; indent = 0; continue; }
    if (lineStart) {
      const next = text[i + 1];
      const indicator = (ch === '-' || ch === '?' || ch === ':') && (next === ' ' || next === '\t' || next === '\n' || next === undefined);
      if (ch === ' ' || ch === '\t' || indicator) {
        indent += indicator ? 2 : 1;
        if (indicator) i++;
        if (indent > limits.maxIndent) return { offset: i, message: `indented deeper than ${limits.maxIndent} columns` };
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (ch === '[' || ch === '{') {
      if (++depth > limits.maxDepth) return { offset: i, message: `nested deeper than ${limits.maxDepth} levels` };
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return undefined;
}

function repeatedKey(pairs: readonly { key: unknown }[]): YamlLimitProblem | undefined {
  const seen = new Set<string>();
  for (const p of pairs) {
    if (!isScalar(p.key)) continue;
    const k = `${typeof p.key.value}:${String(p.key.value)}`;
    if (seen.has(k)) return { offset: p.key.range?.[0] ?? 0, message: `Map keys must be unique: '${clip(String(p.key.value), 60)}' appears again` };
    seen.add(k);
  }
  return undefined;
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
}
