/**
 * Where the local development stack lives and which loopback ports it uses. Everything is
 * overridable by environment so two stacks (e.g. a test's private broker) can coexist.
 */
import path from 'node:path';
import { LOCAL_HOST, localPorts, registryUrlAt } from '../kafka/connection.ts';

import { PROJECT_ROOT } from '../../config/project-root.ts';

export { PROJECT_ROOT };

export interface KafkaInstanceConfig {
  readonly host: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  /** Folder for pid file, generated server.properties and the log. */
  readonly runDir: string;
  readonly heapMb: number;
  /** A SASL_SSL listener instead of PLAINTEXT (for testing fmeaflow against a secured cluster); absent = plaintext. */
  readonly secure?: SecureBrokerConfig;
}

/** TLS material (PEM files) and SCRAM-SHA-512 users of a SASL_SSL broker; `superUser` is also the inter-broker identity. */
export interface SecureBrokerConfig {
  /** Server private key (PKCS#8, unencrypted) followed by its certificate chain. */
  readonly keystorePem: string;
  /** CA certificate(s) the broker trusts. */
  readonly truststorePem: string;
  readonly superUser: { readonly name: string; readonly password: string };
  readonly users: readonly { readonly name: string; readonly password: string }[];
  /**
   * A second listener, SSL with client certificates required (mTLS), on this port; the principal is the
   * certificate's CN (`User:<CN>`). Absent = SASL_SSL only.
   */
  readonly mtlsPort?: number;
}

export interface RegistryInstanceConfig {
  readonly host: string;
  readonly port: number;
  readonly runDir: string;
  /** Where the registry keeps its schemas (an H2 file database), so they live as long as the broker's topics. */
  readonly dataDir: string;
  readonly heapMb: number;
  /** HTTP basic auth on every request, with these users (for testing fmeaflow against an authenticated registry). */
  readonly basicAuthUsers?: readonly { readonly name: string; readonly password: string }[];
}

export interface StackPaths {
  readonly cacheDir: string;
  readonly kafkaLibDir: string;
  readonly registryDir: string;
  readonly pom: string;
  readonly log4jConfig: string;
}

/** Paths of the installed artifacts; FMEAFLOW_CACHE moves them (e.g. to share between clones). */
export function stackPaths(env: NodeJS.ProcessEnv = process.env): StackPaths {
  const cacheDir = path.resolve(env.FMEAFLOW_CACHE ?? path.join(PROJECT_ROOT, '.cache'));
  return {
    cacheDir,
    kafkaLibDir: path.join(cacheDir, 'kafka-lib'),
    registryDir: path.join(cacheDir, 'registry'),
    pom: path.join(PROJECT_ROOT, 'docker', 'local-stack', 'pom.xml'),
    log4jConfig: path.join(PROJECT_ROOT, 'docker', 'local-stack', 'log4j2.yaml'),
  };
}

/** Default local broker: 127.0.0.1:19092 (controller 19093), data under .cache/stack/kafka-data. */
export function defaultKafkaInstance(env: NodeJS.ProcessEnv = process.env): KafkaInstanceConfig {
  const { cacheDir } = stackPaths(env);
  const runDir = path.join(cacheDir, 'stack', 'kafka');
  return {
    host: LOCAL_HOST,
    port: localPorts(env).kafka,
    controllerPort: localPorts(env).kafkaController,
    dataDir: path.resolve(env.FMEAFLOW_KAFKA_DATA_DIR ?? path.join(runDir, 'data')),
    runDir,
    heapMb: 1024,
  };
}

/** Default local registry: http://127.0.0.1:18081 (Confluent API under /apis/ccompat/v7). */
export function defaultRegistryInstance(env: NodeJS.ProcessEnv = process.env): RegistryInstanceConfig {
  const { cacheDir } = stackPaths(env);
  const runDir = path.join(cacheDir, 'stack', 'registry');
  return { host: LOCAL_HOST, port: localPorts(env).registry, runDir, dataDir: path.resolve(env.FMEAFLOW_REGISTRY_DATA_DIR ?? path.join(runDir, 'data')), heapMb: 512 };
}

/** Confluent-compatible base URL of a registry instance. */
export function registryUrlOf(r: RegistryInstanceConfig): string {
  return registryUrlAt(r.host, r.port);
}
