/**
 * A private secured cluster for tests: an Apache Kafka broker with only a SASL_SSL listener
 * (SCRAM-SHA-512, StandardAuthorizer, no ACL = no access) and an Apicurio registry behind HTTP basic
 * auth. Certificates are made here with openssl for this run only; every password is random.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { startKafka, stopKafka } from '../../streams/runtime/stack/kafka-server.ts';
import { startRegistry, stopRegistry } from '../../streams/runtime/stack/registry-server.ts';
import { registryUrlOf, type KafkaInstanceConfig, type RegistryInstanceConfig } from '../../streams/runtime/stack/stack-config.ts';
import { freePort } from './ports.ts';

export const PRINCIPALS = ['admin', 'engine', 'producer', 'reader'] as const;
export type Principal = (typeof PRINCIPALS)[number];

export interface SecureCluster {
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly caFile: string;
  /** This run's private directory (certificates, secrets), removed after the test. */
  readonly dir: string;
  readonly passwords: Record<Principal | 'registry', string>;
  /** The environment a component runs under as `who` (secrets in files, as an operator would keep them). */
  env(who: Principal, overrides?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Bootstrap of the mTLS listener (SSL, client certificate required; principal = the certificate's CN). */
  readonly mtlsBrokers: string[];
  /** The environment of a component authenticated by the client certificate of `MTLS_CLIENT` on the mTLS listener. */
  mtlsEnv(overrides?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** kafkajs security options for `who`, for the test's own clients. */
  client(who: Principal): { ssl: { ca: string }; sasl: { mechanism: 'scram-sha-512'; username: string; password: string } };
  /** Every secret of the cluster, for leak checks. */
  readonly secrets: string[];
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A CA and a server certificate for 127.0.0.1/localhost signed by it (PEM, key in PKCS#8). */
function makeCertificates(dir: string): { ca: string; keystore: string } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=fmeaflow-test-ca'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext'], dir);
  fs.writeFileSync(path.join(dir, 'server-keystore.pem'), fs.readFileSync(path.join(dir, 'server.key'), 'utf8') + fs.readFileSync(path.join(dir, 'server.crt'), 'utf8'));
  // A client certificate for the mTLS listener, signed by the same CA.
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', `/CN=${MTLS_CLIENT}`], dir);
  openssl(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2'], dir);
  return { ca: path.join(dir, 'ca.pem'), keystore: path.join(dir, 'server-keystore.pem') };
}

/** The CN of the client certificate made for the mTLS listener: the broker's principal `User:publisher`. */
export const MTLS_CLIENT = 'publisher';

export async function startSecureCluster(t: TestContext): Promise<SecureCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fmeaflow-secure-'));
  const pw = (): string => randomBytes(18).toString('base64url');
  const passwords = { admin: pw(), engine: pw(), producer: pw(), reader: pw(), registry: pw() };
  const { ca, keystore } = makeCertificates(dir);
  const k: KafkaInstanceConfig = {
    host: '127.0.0.1', port: await freePort(), controllerPort: await freePort(), dataDir: path.join(dir, 'kafka-data'), runDir: path.join(dir, 'kafka'), heapMb: 512,
    secure: { mtlsPort: await freePort(), keystorePem: keystore, truststorePem: ca, superUser: { name: 'admin', password: passwords.admin }, users: (['engine', 'producer', 'reader'] as const).map((name) => ({ name, password: passwords[name] })) },
  };
  const r: RegistryInstanceConfig = { host: '127.0.0.1', port: await freePort(), runDir: path.join(dir, 'registry'), dataDir: path.join(dir, 'registry-data'), heapMb: 384, basicAuthUsers: [{ name: 'fmeaflow', password: passwords.registry }] };
  t.after(async () => {
    await stopKafka(k).catch(() => false);
    await stopRegistry(r).catch(() => false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  await Promise.all([startKafka(k), startRegistry(r)]);
  const secretFile = (name: string, value: string): string => {
    const f = path.join(dir, `${name}.secret`);
    fs.writeFileSync(f, `${value}\n`, { mode: 0o600 });
    return f;
  };
  const brokers = [`127.0.0.1:${k.port}`];
  const registryUrl = registryUrlOf(r);
  const registryUserInfo = secretFile('registry', `fmeaflow:${passwords.registry}`);
  return {
    brokers,
    registryUrl,
    caFile: ca,
    dir,
    mtlsBrokers: [`127.0.0.1:${k.secure!.mtlsPort}`],
    mtlsEnv: (overrides = {}) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const key of Object.keys(env)) if (/^(KAFKA_|SCHEMA_REGISTRY_|FMEAFLOW_KAFKA_PROPERTIES|FMEAFLOW_REGISTRY_MODE|FMEAFLOW_TOPIC_PREFIX)/.test(key)) delete env[key];
      return {
        ...env,
        KAFKA_BROKERS: `127.0.0.1:${k.secure!.mtlsPort}`,
        KAFKA_SECURITY_PROTOCOL: 'SSL',
        KAFKA_SSL_CA_FILE: ca,
        KAFKA_SSL_CERT_FILE: path.join(dir, 'client.crt'),
        KAFKA_SSL_KEY_FILE: path.join(dir, 'client.key'),
        SCHEMA_REGISTRY_URL: registryUrl,
        SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_FILE: registryUserInfo,
        ...overrides,
      };
    },
    passwords,
    secrets: Object.values(passwords),
    env: (who, overrides = {}) => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const key of Object.keys(env)) if (/^(KAFKA_|SCHEMA_REGISTRY_|FMEAFLOW_KAFKA_PROPERTIES|FMEAFLOW_REGISTRY_MODE|FMEAFLOW_TOPIC_PREFIX)/.test(key)) delete env[key];
      return {
        ...env,
        KAFKA_BROKERS: brokers.join(','),
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SSL_CA_FILE: ca,
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: who,
        KAFKA_SASL_PASSWORD_FILE: secretFile(who, passwords[who]),
        SCHEMA_REGISTRY_URL: registryUrl,
        SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_FILE: registryUserInfo,
        ...overrides,
      };
    },
    client: (who) => ({ ssl: { ca: fs.readFileSync(ca, 'utf8') }, sasl: { mechanism: 'scram-sha-512', username: who, password: passwords[who] } }),
  };
}
