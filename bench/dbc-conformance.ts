/**
 * DBC decoder conformance on the reference DBCs (the cantools test-suite DBCs and three real
 * vehicle DBCs): reads them from ../shared/data/dbc, which only the benchmark machine has,
 * and checks them against the cantools decode vectors in bench/reference/dbc-vectors
 * (regenerate with `python3 test/fixtures/dbc/generate-vectors.py --reference`).
 *
 *   npx tsx bench/dbc-conformance.ts
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDbcVectors, type DbcVectorFile } from '../test/helpers/dbc-vectors.ts';

const SHARED_DBC = join('..', 'shared', 'data', 'dbc');
const VECTORS = join('bench', 'reference', 'dbc-vectors');

if (!existsSync(SHARED_DBC)) {
  process.stderr.write(`bench/dbc-conformance: reference DBCs not found at ${SHARED_DBC} (run from the project root with the reference data beside it)\n`);
  process.exit(2);
}
const missing = readdirSync(join(SHARED_DBC, 'cantools')).filter((f) => f.endsWith('.dbc') && !existsSync(join(VECTORS, f.replace('.dbc', '.vectors.json'))));
let failed = missing.length;
for (const m of missing) process.stdout.write(`FAIL ${m}: no vectors (regenerate them)\n`);
for (const f of readdirSync(VECTORS).filter((x) => x.endsWith('.vectors.json')).sort()) {
  const fx = JSON.parse(readFileSync(join(VECTORS, f), 'utf8')) as DbcVectorFile;
  try {
    const n = checkDbcVectors(fx, join(SHARED_DBC, fx.file));
    process.stdout.write(`ok   ${fx.file}: ${fx.messages.length} messages, ${n} vectors as cantools\n`);
  } catch (e) {
    failed++;
    process.stdout.write(`FAIL ${fx.file}: ${(e as Error).message.split('\n')[0]}\n`);
  }
}
process.stdout.write(failed === 0 ? 'all reference DBCs decode as cantools does\n' : `${failed} reference DBC(s) differ from cantools\n`);
process.exit(failed === 0 ? 0 : 1);
