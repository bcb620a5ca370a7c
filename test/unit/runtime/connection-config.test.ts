/**
 * The connection configuration as an operator writes it: Kafka's own client properties, the
 * environment on top, secrets from files, and one clear CONFIG_INVALID line for what cannot work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadConnectionConfig, parseJaasConfig } from '../../../streams/runtime/kafka/connection-config.ts';
import { kafkaSecurityOptions } from '../../../streams/runtime/kafka/client.ts';
import { oauthTokenProvider } from '../../../streams/runtime/kafka/oauth-token.ts';
import { redactText } from '../../../streams/runtime/observability/redact.ts';

const PEM_CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const PEM_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n';

function dir(t: { after: (f: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-conn-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

function configError(fn: () => unknown, setting: RegExp): void {
  assert.throws(fn, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'CONFIG_INVALID', e.message);
    assert.match(e.message, setting);
    assert.ok(!e.message.includes('\n'), 'one line');
    return true;
  });
}

test('a Kafka client properties file with SASL_SSL, SCRAM and a PEM truststore becomes kafkajs options', (t) => {
  const d = dir(t);
  fs.writeFileSync(path.join(d, 'ca.pem'), PEM_CERT);
  fs.writeFileSync(path.join(d, 'client.properties'), [
    '# as the operator already has it for kafka-console-consumer',
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\',
    '    username="engine" password="s3cr3t-engine-pw";',
    `ssl.truststore.location=${path.join(d, 'ca.pem')}`,
    'ssl.truststore.type=PEM',
    'schema.registry.url=https://registry.example:8081',
    'basic.auth.credentials.source=USER_INFO',
    'basic.auth.user.info=svc-fmeaflow:reg-pass-123',
  ].join('\n'));
  const c = loadConnectionConfig({ FMEAFLOW_KAFKA_PROPERTIES: path.join(d, 'client.properties') });
  assert.equal(c.kafka.protocol, 'SASL_SSL');
  assert.deepEqual(c.kafka.sasl, { mechanism: 'SCRAM-SHA-512', username: 'engine', password: 's3cr3t-engine-pw' });
  assert.equal(c.kafka.tls?.ca, PEM_CERT);
  assert.equal(c.kafka.tls?.checkServerName, true, 'server-name check on by default');
  const opts = kafkaSecurityOptions(c.kafka);
  assert.deepEqual(opts.sasl, { mechanism: 'scram-sha-512', username: 'engine', password: 's3cr3t-engine-pw' });
  assert.equal((opts.ssl as { rejectUnauthorized: boolean }).rejectUnauthorized, true);
  assert.equal((opts.ssl as { checkServerIdentity?: unknown }).checkServerIdentity, undefined);
  assert.deepEqual(c.registry.basic, { username: 'svc-fmeaflow', password: 'reg-pass-123' });
  const described = c.describe();
  for (const secret of ['s3cr3t-engine-pw', 'reg-pass-123']) {
    assert.ok(!described.includes(secret), 'describe() names no secret');
    assert.ok(!redactText(`connect failed: password=${secret} for ${secret}`).includes(secret), 'the redactor knows the secret once read');
  }
});

test('the environment wins over the file, secrets come from *_FILE, and turning the name check off is explicit', (t) => {
  const d = dir(t);
  fs.writeFileSync(path.join(d, 'pw'), 'from-a-file-123\n');
  fs.writeFileSync(path.join(d, 'p.properties'), 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n');
  const c = loadConnectionConfig({ FMEAFLOW_KAFKA_PROPERTIES: path.join(d, 'p.properties'), KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: path.join(d, 'pw') });
  assert.deepEqual(c.kafka.sasl, { mechanism: 'SCRAM-SHA-256', username: 'u', password: 'from-a-file-123' });
  fs.writeFileSync(path.join(d, 'ca.pem'), PEM_CERT);
  const off = loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: path.join(d, 'ca.pem'), KAFKA_SSL_ENDPOINT_IDENTIFICATION: 'none' });
  assert.equal(off.kafka.tls?.checkServerName, false);
  assert.match(off.describe(), /server-name-check=OFF/);
  assert.equal(typeof (kafkaSecurityOptions(off.kafka).ssl as { checkServerIdentity?: unknown }).checkServerIdentity, 'function');
  assert.equal(loadConnectionConfig({}).kafka.protocol, 'PLAINTEXT', 'nothing set: plaintext, as the local stack');
});

test('invalid combinations are one-line CONFIG_INVALID errors naming the setting', (t) => {
  const d = dir(t);
  fs.writeFileSync(path.join(d, 'ca.pem'), PEM_CERT);
  fs.writeFileSync(path.join(d, 'store.jks'), Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2]));
  fs.writeFileSync(path.join(d, 'jks.properties'), `security.protocol=SSL\nssl.truststore.location=${path.join(d, 'store.jks')}\nssl.truststore.type=JKS\n`);
  fs.writeFileSync(path.join(d, 'key.pem'), PEM_KEY);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'TLS' }), /^KAFKA_SECURITY_PROTOCOL: "TLS" is not a security protocol/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' }), /^KAFKA_SASL_MECHANISM: protocol SASL_SSL needs a mechanism/);
  configError(() => loadConnectionConfig({ KAFKA_SASL_MECHANISM: 'PLAIN' }), /^KAFKA_SASL_MECHANISM: .*protocol is PLAINTEXT/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'GSSAPI' }), /"GSSAPI" is not supported/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_USERNAME: 'u' }), /^KAFKA_SASL_PASSWORD: PLAIN needs a password/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT', KAFKA_SSL_CA_FILE: path.join(d, 'ca.pem') }), /TLS files are set but the protocol is PLAINTEXT/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_KEY_FILE: path.join(d, 'key.pem') }), /^KAFKA_SSL_CERT_FILE: a private key is set without its client certificate/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: path.join(d, 'missing.pem') }), /^KAFKA_SSL_CA_FILE: cannot read .*ENOENT/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: d }), /is not a file/);
  configError(() => loadConnectionConfig({ FMEAFLOW_KAFKA_PROPERTIES: path.join(d, 'jks.properties') }), /^ssl\.truststore\.type: JKS stores cannot be read by Node\.js; convert to PEM/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'OAUTHBEARER' }), /^KAFKA_SASL_OAUTH_TOKEN_URL: OAUTHBEARER needs the token endpoint/);
  configError(() => loadConnectionConfig({ SCHEMA_REGISTRY_URL: 'not a url' }), /^SCHEMA_REGISTRY_URL: .* is not a URL/);
  configError(() => loadConnectionConfig({ SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'no-colon' }), /^SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: expected "user:password"/);
  configError(() => loadConnectionConfig({ SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO: 'a:b-long', SCHEMA_REGISTRY_BEARER_TOKEN: 'tok-long-1' }), /either basic auth or a bearer token/);
  configError(() => loadConnectionConfig({ FMEAFLOW_REGISTRY_MODE: 'readonly' }), /^FMEAFLOW_REGISTRY_MODE: "readonly"/);
  configError(() => loadConnectionConfig({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SASL_JAAS_CONFIG: 'garbage without module' }), /^KAFKA_SASL_JAAS_CONFIG: expected/);
});

test('registry credentials written into the URL are taken out of it and never printed', () => {
  const c = loadConnectionConfig({ SCHEMA_REGISTRY_URL: 'https://reg-user:Url%2FPass-987@registry.example/apis/ccompat/v7' });
  assert.equal(c.registry.url, 'https://registry.example/apis/ccompat/v7');
  assert.deepEqual(c.registry.basic, { username: 'reg-user', password: 'Url/Pass-987' });
  assert.ok(!c.describe().includes('Url'), c.describe());
  assert.equal(redactText('GET https://reg-user:whatever@registry.example/x failed'), 'GET https://***@registry.example/x failed');
  assert.equal(redactText('{"authorization":"Basic cmVnOnB3"}'), '{"authorization":"Basic ***"}');
});

test('JAAS options parse with quotes and escapes, garbage does not', () => {
  assert.deepEqual(parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username="a b" password="x\\"y";'), { username: 'a b', password: 'x"y' });
  assert.deepEqual(parseJaasConfig('M required;'), {});
  for (const bad of ['', 'required', 'M required username="unterminated', 'M required =x;']) assert.throws(() => parseJaasConfig(bad), /sasl\.jaas\.config/);
});

test('OAUTHBEARER tokens come from the client-credentials endpoint, are cached, and are fetched again before they expire', async (t) => {
  const grants: string[] = [];
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      grants.push(`${req.headers.authorization} ${body}`);
      if (req.headers.authorization !== `Basic ${Buffer.from('fmeaflow-engine:client-secret-1').toString('base64')}`) return res.writeHead(401).end('{"error":"invalid_client"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `token-${++n}`, token_type: 'Bearer', expires_in: 600 }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const tokenUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/token`;
  let clock = 1_000_000;
  const provider = oauthTokenProvider({ tokenUrl, clientId: 'fmeaflow-engine', clientSecret: 'client-secret-1', scope: 'kafka' }, () => clock);
  assert.deepEqual(await provider(), { value: 'token-1' });
  clock += 400_000;
  assert.deepEqual(await provider(), { value: 'token-1' }, 'cached while most of its 600 s remain');
  clock += 100_000; // 100 s left of 600: inside the refresh margin
  assert.deepEqual(await provider(), { value: 'token-2' }, 'refreshed before expiry');
  assert.equal(grants.length, 2);
  assert.match(grants[0]!, /grant_type=client_credentials&scope=kafka$/);
  const wrong = oauthTokenProvider({ tokenUrl, clientId: 'fmeaflow-engine', clientSecret: 'wrong-secret-22' });
  await assert.rejects(wrong(), (e: Error & { code?: string; retriable?: boolean }) => e.code === 'AUTH_FAILED' && e.retriable === false && !e.message.includes('wrong-secret'));
});
