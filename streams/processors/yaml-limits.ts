/**
 * Explicit bounds for the YAML files people edit and publish (FMEA worksheets, suppression
 * policies). A worksheet also arrives as text on the rules topic, where anyone who can write
 * to the topic can send it, so the bounds are checked on the text and on the parsed tree
 * before anything expands it: file size first (nothing is parsed past it), then no aliases
 * (an alias bomb expands a few hundred bytes into millions of nodes; rule and policy files
 * need none), then nesting depth and node count. Pure and total: every problem is returned
 * with its offset in the text, nothing is thrown.
 */
import { isAlias, isMap, isPair, isSeq, LineCounter, parseDocument, type Document, type DocumentOptions, type ParseOptions } from 'yaml';

export interface YamlLimits {
  /** Largest file in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of maps and lists (the top-level map is depth 1). */
  readonly maxDepth: number;
  /** Most YAML nodes (maps, lists, keys and values) in the file. */
  readonly maxNodes: number;
}

/** A limit the text breaks, at an offset of the text (0 when it concerns the whole file). */
export interface YamlLimitProblem {
  readonly offset: number;
  readonly message: string;
}

export interface BoundedYaml {
  readonly lineCounter: LineCounter;
  /** Absent when the text is over the size limit (it is then not parsed at all). */
  readonly doc?: Document;
  /** Broken limits; the document's own syntax errors stay in `doc.errors`. */
  readonly problems: readonly YamlLimitProblem[];
}

/** Parses `text` within `limits`. Check `problems` and `doc.errors` before `doc.toJS()`. */
export function parseBoundedYaml(text: string, limits: YamlLimits, options: ParseOptions & DocumentOptions = {}): BoundedYaml {
  const lineCounter = new LineCounter();
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) {
    return { lineCounter, problems: [{ offset: 0, message: `file is over the limit of ${limits.maxBytes} bytes (split it into several files)` }] };
  }
  let doc: Document;
  try {
    doc = parseDocument(text, { ...options, lineCounter, prettyErrors: false });
  } catch (err) {
    // The parser reports syntax problems as document errors; this is for what it does not foresee.
    return { lineCounter, problems: [{ offset: 0, message: `YAML could not be parsed: ${firstLine(err)}` }] };
  }
  if (doc.errors.length > 0) return { lineCounter, doc, problems: [] };
  return { lineCounter, doc, problems: treeProblems(doc, limits) };
}

/**
 * Aliases, depth and node count, walked with an explicit stack (a deep tree must not overflow
 * the call stack that is meant to report it). Stops at the first alias or node past a bound.
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
      for (let i = node.items.length - 1; i >= 0; i--) stack.push({ node: node.items[i], depth: depth + 1 });
    }
  }
  return problems;
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
}
