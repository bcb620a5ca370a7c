/**
 * fmeaflow on a secured, shared cluster, end to end: a SASL_SSL-only broker with ACLs and a registry
 * behind basic auth, and every name of this deployment under a topic prefix (as on a cluster shared
 * with other teams: the ACLs are PREFIXED patterns starting with it, and nothing else gets created). The CLI provisions topics and publishes rules as the admin, the engine runs as
 * `engine`, the producer as `producer`, a read-only `reader` sees the ranked actions; each principal
 * holds only the ACLs of streams/runtime/admin/component-acls.ts. Refusals are one clear line, and no
 * password appears in any output, log, DLQ record or metric.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { createKafka } from '../../../streams/runtime/kafka/client.ts';
import { authFailure } from '../../../streams/runtime/kafka/kafka-errors.ts';
import { onRefused } from '../../../streams/runtime/kafka/refusal-guard.ts';
import { componentAcls, kafkajsAcls } from '../../../streams/runtime/admin/component-acls.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { LOGICAL_TOPICS } from '../../../streams/topic-catalog.ts';
import fs from 'node:fs';
import { uniqueName, waitFor } from '../../helpers/kafka.ts';
import { freePort } from '../../helpers/ports.ts';
import { MTLS_CLIENT, startSecureCluster } from '../../helpers/secure-stack.ts';

const CLI = path.join(PROJECT_ROOT, 'streams', 'cli.ts');

function cli(args: string[], env: NodeJS.ProcessEnv): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: PROJECT_ROOT, env, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test('engine, producer and CLI run through SASL_SSL and registry basic auth; unauthorised principals are refused; no secret leaks', { timeout: 600_000 }, async (t) => {
  const started = Date.now();
  const step = (what: string): void => t.diagnostic(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  const cluster = await startSecureCluster(t);
  step('secured broker and registry up');
  const outputs: string[] = [];
  const app = uniqueName('sec');
  // The deployment's namespace, given the three ways an operator can: environment, properties file, --topic-prefix.
  const P = `${uniqueName('team')}.`;
  const Topics = Object.fromEntries(Object.entries(LOGICAL_TOPICS).map(([k, v]) => [k, `${P}${v}`])) as Record<keyof typeof LOGICAL_TOPICS, string>;
  const asAdmin = cluster.env('admin', { FMEAFLOW_TOPIC_PREFIX: P });
  const propsFile = path.join(cluster.dir, 'producer.properties');
  fs.writeFileSync(propsFile, `fmeaflow.topic.prefix=${P}\n`);

  // Provisioning as the cluster's admin (topics + schemas), then least-privilege ACLs for the others.
  const topics = cli(['topics'], asAdmin);
  outputs.push(topics.out);
  assert.equal(topics.status, 0, topics.out);
  const admin = createKafka('sec-test-admin', cluster.brokers, 8, true, cluster.client('admin')).admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createAcls({ acl: [
    ...kafkajsAcls('User:engine', componentAcls('engine', app, P)),
    ...kafkajsAcls('User:producer', componentAcls('producer', undefined, P)),
    ...kafkajsAcls('User:reader', componentAcls('reader', undefined, P)),
    ...kafkajsAcls(`User:${MTLS_CLIENT}`, componentAcls('rules-publisher', undefined, P)),
  ] });

  step('topics provisioned, ACLs granted');
  // Rules by the rules publisher, who logs in with a client certificate on the mTLS listener and holds only
  // its row of the ACL table; the read-only principal may not publish them.
  const publish = cli(['rules', 'publish', 'fmea-rules', '--topic-prefix', P], cluster.mtlsEnv());
  outputs.push(publish.out);
  assert.equal(publish.status, 0, publish.out);
  step('rules published over mTLS by the publisher');
  const noCert = cli(['rules', 'publish', 'fmea-rules', '--topic-prefix', P], cluster.mtlsEnv({ KAFKA_SSL_CERT_FILE: '', KAFKA_SSL_KEY_FILE: '' }));
  outputs.push(noCert.out);
  assert.ok(noCert.status !== null && noCert.status !== 0, `without a client certificate the mTLS listener refuses, and the command exits: ${noCert.status} ${noCert.out}`);
  const readerPublish = cli(['rules', 'publish', 'fmea-rules'], cluster.env('reader', { FMEAFLOW_TOPIC_PREFIX: P }));
  outputs.push(readerPublish.out);
  // Exits by itself (status 1, not killed by the spawn timeout) and names the right the reader lacks.
  assert.equal(readerPublish.status, 1, readerPublish.out);
  assert.match(readerPublish.out, /denied User:reader: CLUSTER_AUTHORIZATION_FAILED, missing IDEMPOTENT_WRITE on CLUSTER kafka-cluster.*\[AUTH_FAILED\]/);
  assert.equal(readerPublish.out.trim().split('\n').filter((l) => l.startsWith('fmeaflow:')).length, 1, `one error line: ${readerPublish.out}`);

  step('rules refused for the reader');
  // Wrong broker password, and the right broker password with a wrong registry password.
  const wrongKafka = cli(['topics'], cluster.env('engine', { KAFKA_SASL_PASSWORD_FILE: '', KAFKA_SASL_PASSWORD: 'not-the-password-1' }));
  outputs.push(wrongKafka.out);
  assert.notEqual(wrongKafka.status, 0);
  assert.match(wrongKafka.out, /refused our SASL credentials.*\[AUTH_FAILED\]/);
  const wrongRegistry = cli(['topics'], cluster.env('admin', { FMEAFLOW_TOPIC_PREFIX: P, SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_FILE: '', SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'fmeaflow:not-the-password-2' }));
  outputs.push(wrongRegistry.out);
  assert.notEqual(wrongRegistry.status, 0);
  assert.match(wrongRegistry.out, /refused our credentials \(HTTP 401\).*\[AUTH_FAILED\]/);

  step('refusals checked');
  // The engine as `engine`, with /metrics served so it can be read for secrets too.
  const metricsPort = await freePort();
  const worker = spawn(process.execPath, ['--import', 'tsx', CLI, 'worker', '--app', app, '--timing', 'drive', '--no-log-embeddings', '--metrics-port', String(metricsPort)], { cwd: PROJECT_ROOT, env: cluster.env('engine', { FMEAFLOW_TOPIC_PREFIX: P }), stdio: ['ignore', 'pipe', 'pipe'] });
  let workerOut = '';
  worker.stdout.on('data', (c: Buffer) => (workerOut += c));
  worker.stderr.on('data', (c: Buffer) => (workerOut += c));
  const exited = new Promise<number | null>((r) => worker.on('exit', (code) => r(code)));
  t.after(async () => {
    if (worker.exitCode === null) worker.kill('SIGTERM');
    await exited;
  });
  await waitFor(() => workerOut.includes('worker running') || worker.exitCode !== null, { timeoutMs: 240_000, what: 'the engine to start' }).catch((err: Error) => {
    throw new Error(`${err.message}; its output ends: ${workerOut.slice(-1500)}`);
  });
  assert.equal(worker.exitCode, null, `the engine runs: ${workerOut.slice(-2000)}`);

  step('engine running');
  // The producer as `producer`: a recorded drive.
  const produce = cli(['produce', path.join(PROJECT_ROOT, 'drives', 'can-timeout'), '--speed', 'max'], cluster.env('producer', { FMEAFLOW_KAFKA_PROPERTIES: propsFile }));
  outputs.push(produce.out);
  assert.equal(produce.status, 0, produce.out);

  step('drive produced');
  // The reader sees the drive's ranked action (read_committed).
  const reader = createKafka('sec-test-reader', cluster.brokers, 8, true, cluster.client('reader'));
  const consumer = reader.consumer({ groupId: uniqueName(`${P}reader-`) });
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic: Topics.actions, fromBeginning: true });
  const keys = new Set<string>();
  await consumer.run({ eachMessage: async ({ message }) => { keys.add(String(message.key)); } });
  await waitFor(() => [...keys].some((k) => k.includes('S-CAN-03')), { timeoutMs: 240_000, what: `S-CAN-03 on ${Topics.actions} (engine output so far: ${workerOut.slice(-500)})` });

  step('action seen');
  // The reader cannot write what the engine writes.
  const readerProducer = reader.producer();
  await readerProducer.connect();
  t.after(() => readerProducer.disconnect());
  const refused = await readerProducer.send({ topic: Topics.actions, messages: [{ key: 'x', value: 'y' }] }).then(() => undefined, (e: unknown) => e);
  assert.equal(authFailure(refused)?.code, 'AUTH_FAILED', `writing ${Topics.actions} as reader is refused: ${String(refused)}`);
  // Nor join a group outside its ACL: kafkajs hides that refusal ("Failed to find group coordinator") and only emits a crash.
  const outsider = createKafka('sec-test-outsider', cluster.brokers, 8, true, cluster.client('reader'));
  const outsiderGroup = uniqueName('not-reader-');
  const groupRefused = new Promise<Error>((resolve) => onRefused(outsider, resolve));
  const strayConsumer = outsider.consumer({ groupId: outsiderGroup });
  await strayConsumer.connect();
  t.after(() => strayConsumer.disconnect());
  await strayConsumer.subscribe({ topic: Topics.actions, fromBeginning: true });
  await strayConsumer.run({ eachMessage: async () => undefined });
  assert.match((await groupRefused).message, new RegExp(`denied User:reader: GROUP_AUTHORIZATION_FAILED, missing READ on GROUP ${outsiderGroup}`));

  const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
  outputs.push(metrics);
  // Every DLQ record, raw, as the admin reads it.
  const dlq = createKafka('sec-test-dlq', cluster.brokers, 8, true, cluster.client('admin')).consumer({ groupId: uniqueName(`${P}dlq-`) });
  await dlq.connect();
  t.after(() => dlq.disconnect());
  await dlq.subscribe({ topic: Topics.dlq, fromBeginning: true });
  const dlqValues: string[] = [];
  await dlq.run({ eachMessage: async ({ message }) => { dlqValues.push(`${message.key}${message.value?.toString('latin1')}`); } });
  const end = await admin.fetchTopicOffsets(Topics.dlq);
  await waitFor(() => dlqValues.length >= end.reduce((n, p) => n + Number(p.high), 0), { timeoutMs: 60_000, what: 'the DLQ read to its end' });

  worker.kill('SIGTERM');
  await exited;
  // Nothing outside the namespace: every topic, group and schema subject of the run starts with the prefix.
  const stray = (names: string[]): string[] => names.filter((n) => !n.startsWith(P) && !n.startsWith('__'));
  assert.deepEqual(stray(await admin.listTopics()), [], 'every topic is prefixed');
  assert.deepEqual(stray((await admin.listGroups()).groups.map((g) => g.groupId)), [], 'every consumer group is prefixed');
  const subjects = (await fetch(`${cluster.registryUrl}/subjects`, { headers: { authorization: `Basic ${Buffer.from(`fmeaflow:${cluster.passwords.registry}`).toString('base64')}` } }).then((r) => r.json())) as string[];
  assert.ok(subjects.length > 0, 'schemas were registered');
  assert.deepEqual(stray(subjects), [], 'every schema subject is prefixed');
  outputs.push(workerOut, ...dlqValues);
  const all = outputs.join('\n');
  for (const secret of cluster.secrets) assert.ok(!all.includes(secret), 'no password in any CLI output, engine log, DLQ record or metric');
  for (const attempt of ['not-the-password-1', 'not-the-password-2']) assert.ok(!all.includes(attempt), 'not even a wrong one');
  t.diagnostic(`checked ${all.length} characters of output (${dlqValues.length} DLQ records) for ${cluster.secrets.length + 2} secrets`);
});
