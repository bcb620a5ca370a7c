/** The real files the rules/policies fuzz corpus mutates: shipped worksheets and test fixtures, or the shipped policy file. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';

export function fuzzSeeds(kind: 'rules' | 'policies'): Map<string, string> {
  const read = (dir: string, keep: (f: string) => boolean) => readdirSync(join(PROJECT_ROOT, dir)).filter(keep).sort().map((f) => [join(dir, f), readFileSync(join(PROJECT_ROOT, dir, f), 'utf8')] as const);
  if (kind === 'policies') return new Map(read('config', (f) => f.endsWith('.yaml')));
  return new Map([
    ...read('fmea-rules', (f) => f.endsWith('.yaml') && !['occurrence-table.yaml', 'known-series.yaml'].includes(f)),
    ...read('test/unit/fmea/fixtures', (f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml')),
  ]);
}
