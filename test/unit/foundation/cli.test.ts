import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';

function cli(...args: string[]): { code: number | null; out: string; err: string } {
  const res = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'streams', 'cli.ts'), ...args], { encoding: 'utf8', cwd: PROJECT_ROOT });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

test('an unknown command is rejected with a suggestion and a usage hint', () => {
  const r = cli('stak');
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown command 'stak'/);
  assert.match(r.err, /Did you mean stack\?/);
  assert.match(r.err, /--help/);
});

test('an unknown option is rejected and names the option', () => {
  const r = cli('topics', '--partitons', '3');
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown option '--partitons'/);
});

test('every command has --help that describes it', () => {
  const root = cli('--help');
  assert.equal(root.code, 0);
  const commands = [...root.out.matchAll(/^ {2}([a-z][\w-]*)\s/gm)].map((m) => m[1]).filter((c) => c !== 'help');
  assert.ok(commands.includes('stack') && commands.includes('topics'), `root help lists commands: ${root.out}`);
  for (const c of commands) {
    const h = cli(c!, '--help');
    assert.equal(h.code, 0, `${c} --help exits 0`);
    assert.match(h.out, new RegExp(`Usage: fmeaflow ${c}`), `${c} --help prints its usage`);
  }
});

test('reset without --app, or with an app id that cannot be one, says what is wrong and how to fix it', () => {
  const missing = cli('reset');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /required option '--app <id>' not specified/);
  const bad = cli('reset', '--app', 'my app/*');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--app "my app\/\*": an app id has only letters, digits/);
  assert.match(bad.err, /e\.g\. --app fmeaflow/);
});

test('topics and reset against a broker that does not answer name the address and how to start the local one, without a stack trace', () => {
  for (const args of [['topics', '--brokers', '127.0.0.1:1'], ['reset', '--app', 'nobody', '--brokers', '127.0.0.1:1']]) {
    const r = cli(...args);
    assert.notEqual(r.code, 0, `${args[0]} fails`);
    assert.match(r.err, /127\.0\.0\.1:1 is unreachable/, `${args[0]}: ${r.err}`);
    assert.match(r.err, /stack up/);
    assert.match(r.err, /KAFKA_BROKER_UNREACHABLE/);
    assert.doesNotMatch(r.err, /\n\s+at /, `${args[0]} prints no stack trace`);
  }
});

test('every subcommand has --help too', () => {
  for (const [cmd, subs] of [['stack', ['up', 'down', 'status', 'install']], ['rules', ['lint', 'test', 'publish', 'export', 'import']]] as const) {
    for (const sub of subs) {
      const h = cli(cmd, sub, '--help');
      assert.equal(h.code, 0, `${cmd} ${sub} --help exits 0: ${h.err}`);
      assert.match(h.out, new RegExp(`Usage: fmeaflow ${cmd} ${sub}`));
    }
  }
});
