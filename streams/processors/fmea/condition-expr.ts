/**
 * The tiny condition language of rule files, e.g.
 *   `dlc_mismatch_share > 0.32 and error_frame_share > 0.01`
 *   `nrc_share > 0.67 and normal.nrc_share < 0.05`
 *   `can_bus_error_rate{bus="main"} > 5%`
 * Rule files are data written by quality engineers, so conditions are parsed by this
 * hand-written tokenizer and recursive-descent parser and evaluated by walking the tree: no
 * `eval`, no regular expressions from users, bounded size. Errors carry the 0-based column
 * inside the condition string so the rule loader can point at file:line:column.
 */

export type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** A reference to a field (feature dimension, centroid dimension or series) with optional label matchers. */
export interface RefNode {
  readonly type: 'ref';
  readonly name: string;
  readonly labels: readonly { readonly name: string; readonly op: '=' | '!='; readonly value: string }[];
  readonly column: number;
}
export interface NumNode { readonly type: 'num'; readonly value: number; readonly column: number }
export interface CmpNode { readonly type: 'cmp'; readonly op: CompareOp; readonly left: RefNode | NumNode; readonly right: RefNode | NumNode; readonly column: number }
export interface BoolNode { readonly type: 'and' | 'or'; readonly children: readonly ExprNode[] }
export interface NotNode { readonly type: 'not'; readonly child: ExprNode }
export type ExprNode = RefNode | CmpNode | BoolNode | NotNode;

/** A syntax error at a 0-based column of the condition string. */
export class ConditionSyntaxError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
    this.name = 'ConditionSyntaxError';
  }
}

const MAX_LENGTH = 2000;

type Tok =
  | { k: 'id'; v: string; c: number }
  | { k: 'num'; v: number; c: number }
  | { k: 'str'; v: string; c: number }
  | { k: 'op'; v: string; c: number }
  | { k: 'end'; c: number };

function tokenize(src: string): Tok[] {
  if (src.length > MAX_LENGTH) throw new ConditionSyntaxError(`condition longer than ${MAX_LENGTH} characters`, 0);
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') { i++; continue; }
    const start = i;
    if (/[A-Za-z_]/.test(ch)) {
      while (i < src.length && /[A-Za-z0-9_.:]/.test(src[i]!)) i++;
      out.push({ k: 'id', v: src.slice(start, i), c: start });
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      if (ch === '0' && (src[i + 1] === 'x' || src[i + 1] === 'X')) {
        i += 2;
        while (i < src.length && /[0-9A-Fa-f]/.test(src[i]!)) i++;
        out.push({ k: 'num', v: parseInt(src.slice(start + 2, i), 16), c: start });
        continue;
      }
      while (i < src.length && /[0-9.eE]/.test(src[i]!)) i++;
      const text = src.slice(start, i);
      let v = Number(text);
      if (!Number.isFinite(v)) throw new ConditionSyntaxError(`bad number '${text}'`, start);
      if (src[i] === '%') { v /= 100; i++; }
      out.push({ k: 'num', v, c: start });
      continue;
    }
    if (ch === '"' || ch === "'") {
      i++;
      let s = '';
      while (i < src.length && src[i] !== ch) {
        if (src[i] === '\\' && i + 1 < src.length) i++;
        s += src[i];
        i++;
      }
      if (i >= src.length) throw new ConditionSyntaxError('unterminated string', start);
      i++;
      out.push({ k: 'str', v: s, c: start });
      continue;
    }
    const two = src.slice(i, i + 2);
    if (['>=', '<=', '==', '!=', '&&', '||'].includes(two)) { out.push({ k: 'op', v: two, c: start }); i += 2; continue; }
    if ('><=(){},!'.includes(ch)) { out.push({ k: 'op', v: ch, c: start }); i++; continue; }
    throw new ConditionSyntaxError(`unexpected character '${ch}'`, start);
  }
  out.push({ k: 'end', c: src.length });
  return out;
}

/** Parses a condition string into an expression tree; throws ConditionSyntaxError. */
export function parseCondition(src: string): ExprNode {
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Tok => toks[p]!;
  const isOp = (v: string): boolean => { const t = peek(); return t.k === 'op' && t.v === v; };
  const isWord = (v: string): boolean => { const t = peek(); return t.k === 'id' && t.v.toLowerCase() === v; };
  const expect = (v: string): void => {
    if (!isOp(v)) throw new ConditionSyntaxError(`expected '${v}'`, peek().c);
    p++;
  };

  function operand(): RefNode | NumNode | ExprNode {
    const t = peek();
    if (t.k === 'num') { p++; return { type: 'num', value: t.v, column: t.c }; }
    if (t.k === 'op' && t.v === '(') { p++; const e = orExpr(); expect(')'); return e; }
    if (t.k === 'id' && !['and', 'or', 'not'].includes(t.v.toLowerCase())) {
      p++;
      const labels: { name: string; op: '=' | '!='; value: string }[] = [];
      if (isOp('{')) {
        p++;
        while (!isOp('}')) {
          const ln = peek();
          if (ln.k !== 'id') throw new ConditionSyntaxError('expected label name', ln.c);
          p++;
          const opTok = peek();
          let op: '=' | '!=';
          if (opTok.k === 'op' && (opTok.v === '=' || opTok.v === '==')) op = '=';
          else if (opTok.k === 'op' && opTok.v === '!=') op = '!=';
          else throw new ConditionSyntaxError("expected '=' or '!=' after label name", opTok.c);
          p++;
          const val = peek();
          if (val.k !== 'str') throw new ConditionSyntaxError('expected quoted label value', val.c);
          p++;
          labels.push({ name: ln.v, op, value: val.v });
          if (isOp(',')) p++;
          else if (!isOp('}')) throw new ConditionSyntaxError("expected ',' or '}'", peek().c);
        }
        p++;
      }
      return { type: 'ref', name: t.v, labels, column: t.c };
    }
    throw new ConditionSyntaxError(t.k === 'end' ? 'unexpected end of condition' : `unexpected '${'v' in t ? t.v : ''}'`, t.c);
  }

  function comparison(): ExprNode {
    const start = peek().c;
    const left = operand();
    const t = peek();
    if (t.k === 'op' && ['>', '>=', '<', '<=', '==', '!=', '='].includes(t.v)) {
      p++;
      const right = operand();
      if ((left.type !== 'ref' && left.type !== 'num') || (right.type !== 'ref' && right.type !== 'num')) {
        throw new ConditionSyntaxError('comparisons take a field or a number on each side', start);
      }
      if (left.type === 'num' && right.type === 'num') throw new ConditionSyntaxError('comparison of two numbers has no field', start);
      return { type: 'cmp', op: (t.v === '=' ? '==' : t.v) as CompareOp, left, right, column: start };
    }
    if (left.type === 'num') throw new ConditionSyntaxError('a number alone is not a condition', start);
    return left;
  }
  function notExpr(): ExprNode {
    if (isWord('not') || isOp('!')) { p++; return { type: 'not', child: notExpr() }; }
    return comparison();
  }
  function andExpr(): ExprNode {
    const parts = [notExpr()];
    while (isWord('and') || isOp('&&')) { p++; parts.push(notExpr()); }
    return parts.length === 1 ? parts[0]! : { type: 'and', children: parts };
  }
  function orExpr(): ExprNode {
    const parts = [andExpr()];
    while (isWord('or') || isOp('||')) { p++; parts.push(andExpr()); }
    return parts.length === 1 ? parts[0]! : { type: 'or', children: parts };
  }
  const tree = orExpr();
  if (peek().k !== 'end') throw new ConditionSyntaxError('unexpected text after condition', peek().c);
  return tree;
}

/** All field references in a tree, for validation against known fields. */
export function collectRefs(node: ExprNode, out: RefNode[] = []): RefNode[] {
  switch (node.type) {
    case 'ref': out.push(node); break;
    case 'cmp':
      if (node.left.type === 'ref') out.push(node.left);
      if (node.right.type === 'ref') out.push(node.right);
      break;
    case 'not': collectRefs(node.child, out); break;
    default: for (const c of node.children) collectRefs(c, out);
  }
  return out;
}

/** Resolves a reference to a number, or undefined when the evidence lacks it (the comparison is then false). */
export type Resolver = (ref: RefNode) => number | undefined;

function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case '>': return a > b;
    case '>=': return a >= b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/** Evaluates a condition; a missing field makes its comparison false (never an error at run time). */
export function evaluateCondition(node: ExprNode, resolve: Resolver): boolean {
  switch (node.type) {
    case 'ref': return resolve(node) !== undefined;
    case 'cmp': {
      const a = node.left.type === 'num' ? node.left.value : resolve(node.left);
      const b = node.right.type === 'num' ? node.right.value : resolve(node.right);
      return a !== undefined && b !== undefined && compare(node.op, a, b);
    }
    case 'not': return !evaluateCondition(node.child, resolve);
    case 'and': return node.children.every((c) => evaluateCondition(c, resolve));
    case 'or': return node.children.some((c) => evaluateCondition(c, resolve));
  }
}
