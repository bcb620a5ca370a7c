/**
 * Case-insensitive glob matching (`*` any run, `?` one character) by the classic
 * two-pointer algorithm: linear time, so a rule author cannot write a catastrophic pattern
 * the way a user-supplied regular expression could.
 */

/** True when `text` matches `pattern` as a whole. */
export function globMatch(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0, ti = 0, star = -1, mark = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) { pi++; ti++; }
    else if (pi < p.length && p[pi] === '*') { star = pi++; mark = ti; }
    else if (star >= 0) { pi = star + 1; ti = ++mark; }
    else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
