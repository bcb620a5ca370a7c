/**
 * Child process of the rules/policies fuzz test, started under a heap cap: generates the
 * seeded corpus, runs `rules lint` or `policies lint` on each file in process, and writes one
 * JSON line per case to fd 1 (what the command printed, its exit code, how long it took).
 * The parent judges; this only runs, so a crash or heap abort shows as the last case seen.
 *
 *   node --max-old-space-size=256 --import tsx test/helpers/yaml-fuzz-child.ts <rules|policies> <seed> <count>
 */
import { mkdtempSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSHEET_LIMITS } from '../../streams/processors/fmea/worksheet-parser.ts';
import { POLICY_FILE_LIMITS } from '../../streams/processors/suppression/policy-file.ts';
import { runCli } from './cli.ts';
import { fuzzSeeds } from './yaml-fuzz-seeds.ts';
import { fuzzCorpus } from './yaml-fuzz-corpus.ts';

const [kind, seed, count] = process.argv.slice(2) as ['rules' | 'policies', string, string];
const limits = kind === 'rules' ? WORKSHEET_LIMITS : POLICY_FILE_LIMITS;
const dir = mkdtempSync(join(tmpdir(), `fuzz-${kind}-`));
try {
  for (const c of fuzzCorpus(seed, fuzzSeeds(kind), Number(count), limits.maxBytes)) {
    const file = join(dir, 'case.yaml');
    writeFileSync(file, c.text);
    const started = performance.now();
    const r = await runCli(kind === 'rules' ? ['rules', 'lint', file] : ['policies', 'lint', file]);
    const ms = performance.now() - started;
    writeSync(1, `${JSON.stringify({ name: c.name, bytes: Buffer.byteLength(c.text), file, ...r, ms })}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
