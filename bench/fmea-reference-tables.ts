/**
 * The FMEA tables against the reference CSVs in ../shared/data/fmea (only the benchmark machine
 * has them): Action Priority on all 1000 (S,O,D) cells of the AIAG-VDA (2019) DFMEA table, and
 * the committed occurrence table (fmea-rules/occurrence-table.yaml) against the AIAG
 * failures-per-1000 CSV. The unit tests check hand-picked cells of both.
 *
 *   npx tsx bench/fmea-reference-tables.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOccurrenceTable } from '../streams/fmea/rule-files.ts';
import { actionPriority } from '../streams/processors/fmea/action-priority.ts';

const DIR = join('..', 'shared', 'data', 'fmea');
if (!existsSync(DIR)) {
  process.stderr.write(`bench/fmea-reference-tables: reference tables not found at ${DIR} (run from the project root with the reference data beside it)\n`);
  process.exit(2);
}
const rows = (file: string): string[][] => readFileSync(join(DIR, file), 'utf8').trim().split(/\r?\n/).slice(1).map((r) => r.split(',').map((x) => x.trim()));

const ap = rows('aiag-vda-action-priority.csv');
const apWrong = ap.filter(([s, o, d, want]) => actionPriority(Number(s), Number(o), Number(d)) !== want).map(([s, o, d, want]) => `S${s} O${o} D${d}: want ${want}, got ${actionPriority(Number(s), Number(o), Number(d))}`);
process.stdout.write(`action priority: ${ap.length - apWrong.length}/${ap.length} cells equal the AIAG-VDA table${apWrong.length ? `; first differences: ${apWrong.slice(0, 5).join('; ')}` : ''}\n`);

const key = (o: number, t: number): string => `O${o}≥${t}`;
const want = rows('occurrence-per-1000.csv').map(([o, t]) => key(Number(o), Number(t))).sort();
const got = loadOccurrenceTable('fmea-rules/occurrence-table.yaml').map((r) => key(r.occurrence, r.atLeastPer1000)).sort();
const occOk = want.length === got.length && want.every((x, i) => x === got[i]);
process.stdout.write(`occurrence table: ${occOk ? 'equals' : `differs from (want ${want.join(' ')}, have ${got.join(' ')})`} the AIAG failures-per-1000 CSV\n`);
process.exit(apWrong.length === 0 && occOk && ap.length === 1000 ? 0 : 1);
