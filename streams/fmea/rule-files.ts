/**
 * File side of rule handling: finding worksheets, reading them, and loading the two
 * companion config files (occurrence table, known series). Problems in those config files
 * are reported with file and line like rule problems, because the same people edit them.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

import { ErrorCodes, FmeaflowError, SourceLocationError } from '../errors.ts';
import { validateOccurrenceTable, type OccurrenceTable } from '../processors/fmea/occurrence.ts';
import type { RuleFileText } from '../processors/fmea/rule-set.ts';
import { WORKSHEET_LIMITS } from '../processors/fmea/worksheet-parser.ts';
import { parseBoundedYaml } from '../processors/yaml-limits.ts';
import { readBoundedText } from '../config/read-bounded-text.ts';

export const DEFAULT_RULES_DIR = 'fmea-rules';
/** Files in the rules folder that are configuration, not worksheets. */
export const CONFIG_FILES = new Set(['occurrence-table.yaml', 'known-series.yaml']);

/** Expands folders to their worksheet files (*.yaml, *.yml, config files excluded); files are kept as given. */
export function expandRuleFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `rule file or folder '${p}' does not exist; pass YAML worksheets or a folder such as ${DEFAULT_RULES_DIR}/`);
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(p).sort()) {
        if (!/\.ya?ml$/.test(f) || CONFIG_FILES.has(f)) continue;
        let isFile = false;
        try { isFile = statSync(join(p, f)).isFile(); } catch { /* vanished or unreadable: not a worksheet */ }
        if (isFile) out.push(join(p, f));
      }
    } else out.push(p);
  }
  return out;
}

/** Reads rule files as text (each at most one byte over the worksheet size limit, which the parser then reports). */
export function readRuleFiles(paths: readonly string[]): RuleFileText[] {
  return expandRuleFiles(paths).map((file) => ({ file, text: readBoundedText(file, WORKSHEET_LIMITS.maxBytes + 1) }));
}

function readYaml(file: string): { data: unknown; lineOf: (path: (string | number)[]) => number } {
  const text = readBoundedText(file, WORKSHEET_LIMITS.maxBytes + 1);
  const { doc, lineCounter: lc, problems } = parseBoundedYaml(text, WORKSHEET_LIMITS);
  const err = doc?.errors[0];
  if (err) throw new SourceLocationError(ErrorCodes.PARSE_ERROR, err.message.split('\n')[0]!, { file, line: err.linePos?.[0].line ?? 1, column: err.linePos?.[0].col ?? 1 });
  if (!doc || problems.length > 0) {
    const pos = lc.linePos(problems[0]!.offset);
    throw new SourceLocationError(ErrorCodes.BAD_CONFIG, problems[0]!.message, { file, line: pos.line, column: pos.col });
  }
  return {
    data: doc.toJS(),
    lineOf: (path) => {
      const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
      return node?.range ? lc.linePos(node.range[0]).line : 1;
    },
  };
}

/** Loads and validates an occurrence table (rows of occurrence + atLeastPer1000). */
export function loadOccurrenceTable(file = join(DEFAULT_RULES_DIR, 'occurrence-table.yaml')): OccurrenceTable {
  const { data, lineOf } = readYaml(file);
  const rows = (data as { rows?: unknown })?.rows;
  if (!Array.isArray(rows)) throw new SourceLocationError(ErrorCodes.BAD_CONFIG, "expected a 'rows' list of {occurrence, atLeastPer1000}", { file, line: 1, field: 'rows' });
  const table = rows.map((r, i) => {
    const o = r as { occurrence?: unknown; atLeastPer1000?: unknown };
    if (typeof o.occurrence !== 'number' || typeof o.atLeastPer1000 !== 'number') {
      throw new SourceLocationError(ErrorCodes.BAD_CONFIG, 'each row needs numeric occurrence and atLeastPer1000', { file, line: lineOf(['rows', i]), field: `rows[${i}]` });
    }
    return { occurrence: o.occurrence, atLeastPer1000: o.atLeastPer1000 };
  });
  const problems = validateOccurrenceTable(table);
  if (problems.length > 0) throw new SourceLocationError(ErrorCodes.BAD_CONFIG, problems.join('; '), { file, line: lineOf(['rows']), field: 'rows' });
  return table;
}

/** One entry of known-series.yaml: a series name, optionally with its noise floor. */
export interface KnownSeriesEntry {
  readonly name: string;
  /** Smallest standard deviation the series' baseline assumes (e.g. its sensor resolution). */
  readonly minStd?: number;
}

/** Reads known-series.yaml: `series:` items are names or `{ name, minStd }`; undefined when the file does not exist. */
export function loadKnownSeriesEntries(file = join(DEFAULT_RULES_DIR, 'known-series.yaml')): KnownSeriesEntry[] | undefined {
  try {
    statSync(file);
  } catch {
    return undefined;
  }
  const { data, lineOf } = readYaml(file);
  const series = (data as { series?: unknown })?.series;
  if (!Array.isArray(series)) throw new SourceLocationError(ErrorCodes.BAD_CONFIG, "expected a 'series' list of names", { file, line: 1, field: 'series' });
  return series.map((item: unknown, i): KnownSeriesEntry => {
    const bad = (field: string, message: string, path: (string | number)[]): never => {
      throw new SourceLocationError(ErrorCodes.BAD_CONFIG, message, { file, line: lineOf(path), field });
    };
    if (typeof item === 'string' && item.length > 0) return { name: item };
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return bad(`series[${i}]`, 'expected a series name or { name, minStd }', ['series', i]);
    const o = item as Record<string, unknown>;
    for (const k of Object.keys(o)) if (k !== 'name' && k !== 'minStd') bad(`series[${i}].${k}`, `unknown field "${k}" (allowed: name, minStd)`, ['series', i, k]);
    if (typeof o.name !== 'string' || o.name.length === 0) bad(`series[${i}].name`, 'expected a non-empty series name', ['series', i]);
    if (o.minStd === undefined) return { name: o.name as string };
    if (typeof o.minStd !== 'number' || !Number.isFinite(o.minStd) || o.minStd <= 0) {
      bad(`series[${i}].minStd`, `expected a number > 0 in the series' unit (e.g. its sensor resolution), got ${JSON.stringify(o.minStd)}`, ['series', i, 'minStd']);
    }
    return { name: o.name as string, minStd: o.minStd as number };
  });
}

/** Loads the known series names; undefined when the file does not exist. */
export function loadKnownSeries(file = join(DEFAULT_RULES_DIR, 'known-series.yaml')): Set<string> | undefined {
  const entries = loadKnownSeriesEntries(file);
  return entries && new Set(entries.map((e) => e.name));
}

/** Noise floors by series name, from the entries that give one. */
export function noiseFloorsOf(entries: readonly KnownSeriesEntry[]): Map<string, number> {
  return new Map(entries.flatMap((e) => (e.minStd === undefined ? [] : [[e.name, e.minStd] as const])));
}

/** Worksheet id a file would publish under (its `worksheet:` value, else the file stem). */
export function worksheetIdOf(file: RuleFileText): string {
  const m = /^worksheet:\s*["']?([a-z0-9-]+)/m.exec(file.text);
  return m ? m[1]! : basename(file.file).replace(/\.ya?ml$/, '');
}
