/**
 * The topic prefix of a shared cluster, as an operator gives it: `--topic-prefix`, then
 * FMEAFLOW_TOPIC_PREFIX, then `fmeaflow.topic.prefix` in the Kafka properties file; a prefix that
 * cannot start a topic name is one CONFIG_INVALID line. The catalog then names every topic with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyTopicPrefix } from '../../../streams/config/topic-prefix.ts';
import { LOGICAL_TOPICS } from '../../../streams/topic-catalog.ts';
import { componentAcls } from '../../../streams/runtime/admin/component-acls.ts';
import { PROJECT_ROOT } from '../../../streams/config/project-root.ts';

test('the flag wins over the environment, which wins over the properties file', (t) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-prefix-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  const props = path.join(d, 'client.properties');
  fs.writeFileSync(props, 'security.protocol=PLAINTEXT\nfmeaflow.topic.prefix=from-file.\n');
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ FMEAFLOW_KAFKA_PROPERTIES: props, ...extra });
  const e1 = env();
  assert.equal(applyTopicPrefix(['topics'], e1), 'from-file.');
  assert.equal(e1.FMEAFLOW_TOPIC_PREFIX, 'from-file.', 'handed to the catalog through the environment');
  assert.equal(applyTopicPrefix(['topics'], env({ FMEAFLOW_TOPIC_PREFIX: 'from-env.' })), 'from-env.');
  assert.equal(applyTopicPrefix(['rules', 'publish', '--topic-prefix', 'flag.', 'fmea-rules'], env({ FMEAFLOW_TOPIC_PREFIX: 'from-env.' })), 'flag.');
  assert.equal(applyTopicPrefix(['worker', '--topic-prefix=flag2_'], env()), 'flag2_');
  assert.equal(applyTopicPrefix(['topics'], {}), '', 'no prefix: the names of a cluster of its own');
});

test('a prefix that cannot start a topic name is one CONFIG_INVALID line', () => {
  for (const bad of ['team a.', 'team/a', 'ä.', 'x'.repeat(101), 'a\nb', '${HOME}']) {
    assert.throws(() => applyTopicPrefix(['--topic-prefix', bad], {}), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'CONFIG_INVALID');
      assert.match(e.message, /^FMEAFLOW_TOPIC_PREFIX: .* cannot start a Kafka topic name/);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
  }
});

test('under a prefix every catalog topic and the fixed tool ids start with it (catalog loaded in a fresh process)', () => {
  const script = "import { Topics, TOPIC_SPECS, prefixed } from './streams/topic-catalog.ts'; console.log(JSON.stringify({ topics: Object.values(Topics), specs: TOPIC_SPECS.map((s) => s.name), again: prefixed(prefixed('x')) }));";
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, env: { ...process.env, FMEAFLOW_TOPIC_PREFIX: 'team-a.' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { topics: string[]; specs: string[]; again: string };
  assert.deepEqual(out.topics, Object.values(LOGICAL_TOPICS).map((n) => `team-a.${n}`));
  assert.ok(out.specs.every((n) => n.startsWith('team-a.')), out.specs.join(','));
  assert.equal(out.again, 'team-a.x', 'prefixing twice is prefixing once');
});

test('component ACLs under a prefix are patterns that start with it', () => {
  for (const c of ['engine', 'producer', 'rules-publisher', 'reader'] as const) {
    for (const g of componentAcls(c, 'fmeaflow', 'team-a.')) {
      if (g.resourceType === 'CLUSTER') continue;
      assert.ok(g.name.startsWith('team-a.'), `${c}: ${g.resourceType} ${g.name}`);
    }
  }
  assert.ok(componentAcls('engine', 'team-a.app', 'team-a.').some((g) => g.resourceType === 'GROUP' && g.name === 'team-a.app-' && g.prefixed), 'an app id already in the namespace is not prefixed twice');
});
