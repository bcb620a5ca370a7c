/**
 * Label matchers in Alertmanager syntax (`name="v"`, `name!="v"`, `name=~"re"`,
 * `name!~"re"`), so policy and rule files read like the inhibit rules SREs already
 * know. Regexes are fully anchored, as in Alertmanager; a missing label equals "".
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

/** A parsed matcher. */
export interface LabelMatcher {
  readonly name: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
  readonly re?: RegExp;
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$/;

/** Parses one matcher; throws POLICY_INVALID with the reason (callers add file/line). */
export function parseMatcher(text: string): LabelMatcher {
  const m = MATCHER.exec(text);
  if (!m) throw new FmeaflowError(ErrorCodes.POLICY_INVALID, `not a label matcher: ${JSON.stringify(text)} (expected name="value", name!="value", name=~"regex" or name!~"regex")`);
  const name = m[1]!;
  const op = m[2] as LabelMatcher['op'];
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4]!;
  if (op === '=~' || op === '!~') {
    try {
      return { name, op, value, re: new RegExp(`^(?:${value})$`) };
    } catch (e) {
      throw new FmeaflowError(ErrorCodes.POLICY_INVALID, `bad regex in matcher ${JSON.stringify(text)}: ${(e as Error).message}`);
    }
  }
  return { name, op, value };
}

/** True when the labels satisfy one matcher. */
export function matches(m: LabelMatcher, labels: Readonly<Record<string, string>>): boolean {
  const v = labels[m.name] ?? '';
  switch (m.op) {
    case '=': return v === m.value;
    case '!=': return v !== m.value;
    case '=~': return m.re!.test(v);
    case '!~': return !m.re!.test(v);
  }
}

/** True when the labels satisfy every matcher (an empty list matches everything). */
export function matchesAll(ms: readonly LabelMatcher[], labels: Readonly<Record<string, string>>): boolean {
  return ms.every((m) => matches(m, labels));
}
