/**
 * The project's test command: ensures the real broker and registry are up (reusing running
 * ones, starting the local stack otherwise), runs every test file with node:test in one
 * invocation so the summary line counts all of them, then stops what it started.
 *
 *   tsx scripts/run-tests.ts [--only unit|integration|e2e|chaos] [--concurrency N] [file-filter…]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stackDown, stackUp } from '../streams/runtime/stack/stack.ts';
import { PROJECT_ROOT } from '../streams/runtime/stack/stack-config.ts';

const KINDS = ['unit', 'integration', 'e2e', 'chaos'] as const;

function listTests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(dir, f))
    .sort();
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { only: { type: 'string' }, concurrency: { type: 'string', default: '2' } },
    allowPositionals: true,
  });
  const only = values.only;
  if (only !== undefined && !(KINDS as readonly string[]).includes(only)) {
    process.stderr.write(`run-tests: --only must be one of ${KINDS.join(', ')} (got "${only}")\n`);
    return 2;
  }
  const kinds = only ? [only] : [...KINDS];
  let files = kinds.flatMap((k) => listTests(path.join(PROJECT_ROOT, 'test', k)));
  if (positionals.length > 0) files = files.filter((f) => positionals.some((p) => f.includes(p)));
  if (files.length === 0) {
    process.stderr.write('run-tests: no test files matched\n');
    return 1;
  }
  const needsBroker = files.some((f) => !f.includes(`${path.sep}test${path.sep}unit${path.sep}`));
  const env = { ...process.env };
  let started = false;
  if (needsBroker) {
    const up = await stackUp((m) => process.stderr.write(`stack: ${m}\n`));
    started = up.startedKafka || up.startedRegistry;
    env.KAFKA_BROKERS = up.brokers.join(',');
    env.SCHEMA_REGISTRY_URL = up.registryUrl;
  }
  // --test-force-exit: a file whose tests have all ended exits even if a client library left a handle open (the
  // secured-cluster file passed and then kept the whole run waiting after its after-hooks had stopped everything).
  const args = ['--import', 'tsx', '--test', '--test-force-exit', '--test-reporter=spec', `--test-concurrency=${values.concurrency}`, ...files];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', env, cwd: PROJECT_ROOT });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
  if (started && !process.env.FMEAFLOW_KEEP_STACK) await stackDown((m) => process.stderr.write(`stack: ${m}\n`));
  return code;
}

process.exitCode = await main();
