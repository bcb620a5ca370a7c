/**
 * Seeded generator of hostile YAML files for the rules/policies fuzz test: mutations of real
 * files (bytes flipped, inserted, deleted, duplicated; lines moved and re-indented; truncation)
 * and generated documents (random trees, deep nesting, anchors and aliases, merge keys, tags,
 * directives, several documents, long lines, sizes around the limit). Same seed, same corpus.
 */
import { stringify } from 'yaml';
import { Rng } from '../../vehicle-producer/sim/rng.ts';
import { aliasBombPolicyFile, aliasBombWorksheet } from './hostile-yaml.ts';

export interface FuzzCase {
  readonly name: string;
  readonly text: string;
}

// Characters that mean something to YAML, plus ones that mean something to a terminal or a parser.
const SPECIAL = ['&a', '*a', '&b ', '*b', '<<: *a', '!!binary ', '!!set ', '!!js/function ', '!custom ', '%YAML 1.1\n', '---\n', '...\n', '? ', ': ', '- ', '[', ']', '{', '}', ',', '"', "'", '|', '>', '#', '@', '`', '\t', '\r', '\r\n', '\0', '\u001b[2J', '\u202e', '\ud800', '\uffff', '💥', '~', 'null', '1e999', '0x', '-.inf', '.nan', '=~"("', '((((', 'and and'];

/** Applies 1–4 random mutations to `text`. */
export function mutate(rng: Rng, text: string): string {
  let s = text;
  for (let n = rng.int(1, 4); n > 0; n--) {
    const at = rng.int(0, s.length);
    switch (rng.int(0, 9)) {
      case 0: s = s.slice(0, at) + rng.pick(SPECIAL) + s.slice(at); break;
      case 1: s = s.slice(0, at) + String.fromCharCode(rng.int(0, 0xffff)) + s.slice(at + 1); break;
      case 2: s = s.slice(0, at) + s.slice(Math.min(s.length, at + rng.int(1, 40))); break;
      case 3: { const len = rng.int(1, 200); s = s.slice(0, at) + s.slice(at, at + len).repeat(rng.int(2, 20)) + s.slice(at); break; }
      case 4: s = s.slice(0, at); break;
      case 5: {
        const lines = s.split('\n');
        const i = rng.int(0, Math.max(0, lines.length - 1));
        const j = rng.int(0, Math.max(0, lines.length - 1));
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        s = lines.join('\n');
        break;
      }
      case 6: {
        const lines = s.split('\n');
        const i = rng.int(0, Math.max(0, lines.length - 1));
        lines[i] = ' '.repeat(rng.int(0, 12)) + (lines[i] ?? '').trimStart();
        s = lines.join('\n');
        break;
      }
      case 7: {
        // An anchor on one value and an alias to it elsewhere.
        const lines = s.split('\n');
        const i = rng.int(0, Math.max(0, lines.length - 1));
        const j = rng.int(0, Math.max(0, lines.length - 1));
        lines[i] = (lines[i] ?? '').replace(/: (\S)/, ': &x $1');
        lines[j] = (lines[j] ?? '').replace(/: (\S.*)$/, ': *x');
        s = lines.join('\n');
        break;
      }
      case 8: s = s.slice(0, at) + rng.pick(['a', '-', ':', ' ', '\n', 'x'.repeat(rng.int(1, 5000))]) + s.slice(at); break;
      default: {
        // Replace a scalar value with another type or an out-of-range number.
        s = s.replace(/: ([^\n]+)/, `: ${rng.pick(['-1', '11', '1e309', '[]', '{}', '~', '""', '"x"', '[[[1]]]', '!!binary AAAA', '2026-12-08', 'yes', '0o17', '.inf'])}`);
      }
    }
  }
  return s;
}

function randomValue(rng: Rng, depth: number): unknown {
  if (depth <= 0 || rng.chance(0.35)) {
    return rng.pick<unknown>([rng.int(-5, 20), rng.next(), true, null, '', 'S-X-01', 'error_frame_share > 0.1', 'x'.repeat(rng.int(0, 300)), '10m', 'vehicle', String.fromCharCode(rng.int(0, 0xffff))]);
  }
  if (rng.chance(0.5)) return Array.from({ length: rng.int(0, 5) }, () => randomValue(rng, depth - 1));
  const keys = ['worksheet', 'title', 'kind', 'entries', 'id', 'item', 'severity', 'evidence', 'all', 'any', 'within', 'canFeature', 'logCluster', 'keywords', 'dtc', 'canary', 'scopes', 'actions', 'version', 'policies', 'match', 'services', 'alertRules', 'coreChains', 'whileRelease', 'suppressFor', '__proto__', 'constructor'];
  return Object.fromEntries(Array.from({ length: rng.int(0, 6) }, () => [rng.pick(keys), randomValue(rng, depth - 1)]));
}

/** A generated document of one of the hostile shapes. */
export function generate(rng: Rng, maxBytes: number): string {
  switch (rng.int(0, 7)) {
    case 0: return stringify(randomValue(rng, rng.int(1, 8)));
    case 1: { const d = rng.int(10, 3000); return `${'['.repeat(d)}1${']'.repeat(rng.chance(0.5) ? d : rng.int(0, d))}`; }
    case 2: return Array.from({ length: rng.int(10, 400) }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n');
    case 3: return rng.chance(0.5) ? aliasBombWorksheet() : aliasBombPolicyFile();
    case 4: return `a: &a { x: 1 }\nb:\n  <<: *a\n  y: 2\nworksheet: w\nentries: [*a]\n`;
    case 5: return `${rng.pick(['%YAML 1.1\n', '%TAG ! tag:x,2000:\n', ''])}---\nworksheet: a\n---\nworksheet: b\n`;
    case 6: return `worksheet: w\ntitle: ${'y'.repeat(maxBytes - rng.int(-20, 20))}\nentries: []\n`;
    default: return `worksheet: w\nentries:\n${Array.from({ length: rng.int(900, 1100) }, (_, i) => `  - { id: S-G-${i}, item: i, function: f, failureMode: m, effect: e, cause: c, severity: 5, occurrence: 5, detection: 5, evidence: { dtc: [P0A80] } }\n`).join('')}`;
  }
}

/** `count` cases from `seeds` (name → text): 3 in 4 mutated seeds, 1 in 4 generated documents. */
export function fuzzCorpus(seed: string, seeds: ReadonlyMap<string, string>, count: number, maxBytes: number): FuzzCase[] {
  const rng = new Rng(seed);
  const names = [...seeds.keys()];
  return Array.from({ length: count }, (_, i) => {
    if (rng.chance(0.25)) return { name: `#${i} generated`, text: generate(rng, maxBytes) };
    const from = rng.pick(names);
    return { name: `#${i} mutated ${from}`, text: mutate(rng, seeds.get(from)!) };
  });
}
