/** The worker's trainer flags: their defaults are the trainer's, and bad values are one-line CLI errors with the fix. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { embeddingTrainerOptions } from '../../../streams/commands/worker.ts';
import { DEFAULT_TRAINER_OPTIONS } from '../../../streams/runtime/logs/embedding-trainer.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';

test('the flag defaults give the trainer its defaults, and values reach it', () => {
  const d = embeddingTrainerOptions({ embeddingEvery: '5m', embeddingEpochs: '2', embeddingTemplates: '200' });
  assert.deepEqual(d, { intervalMs: DEFAULT_TRAINER_OPTIONS.intervalMs, maxTemplates: DEFAULT_TRAINER_OPTIONS.maxTemplates, training: { epochs: DEFAULT_TRAINER_OPTIONS.training.epochs } });
  assert.deepEqual(embeddingTrainerOptions({ embeddingEvery: '30s', embeddingEpochs: '4', embeddingTemplates: '500' }), { intervalMs: 30_000, maxTemplates: 500, training: { epochs: 4 } });
});

test('worker with a bad trainer flag: exit 2, one line naming the flag, the value and an example, before touching Kafka', () => {
  const cases: [string, string, RegExp][] = [
    ['--embedding-every', 'often', /--embedding-every often: give a duration of at least 1s \(e\.g\. --embedding-every 5m\)/],
    ['--embedding-epochs', '0', /--embedding-epochs 0: give a whole number 1-100/],
    ['--embedding-templates', '3.5', /--embedding-templates 3\.5: give a whole number 8-5000/],
  ];
  for (const [flag, value, message] of cases) {
    // An unreachable broker: reaching it would be a different error, so the flag is checked first.
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), 'worker', flag, value], { encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 60_000, env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' } });
    assert.equal(r.status, 2, `${flag} ${value}: ${r.stderr}`); // a usage error, like every bad CLI argument
    assert.match(r.stderr, message);
    assert.match(r.stderr, /\[CLI_BAD_ARGUMENT\]\n$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
});
