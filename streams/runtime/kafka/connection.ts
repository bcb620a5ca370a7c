/**
 * Where the broker and the schema registry are, for the runtime, the producer, tests and
 * benchmarks: `KAFKA_BROKERS` and `SCHEMA_REGISTRY_URL`, else the loopback ports of the local
 * stack (`FMEAFLOW_KAFKA_PORT`, `FMEAFLOW_REGISTRY_PORT`), so they mean the same everywhere. The
 * local stack's installer reads its ports from here; production code never imports the installer.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

export interface Endpoints {
  readonly brokers: string[];
  readonly registryUrl: string;
  /** True when the user configured the endpoints; then nothing is started or stopped locally. */
  readonly externalKafka: boolean;
  readonly externalRegistry: boolean;
}

/** Host of the local stack: loopback only. */
export const LOCAL_HOST = '127.0.0.1';

function portEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `${name}=${raw} is not a valid port number: give 1-65535 or unset it for the default (${fallback})`, { details: { variable: name } });
  return n;
}

/** Loopback ports of the local stack: broker 19092 (controller 19093), registry 18081; the environment moves them. */
export function localPorts(env: NodeJS.ProcessEnv = process.env): { kafka: number; kafkaController: number; registry: number } {
  return { kafka: portEnv(env, 'FMEAFLOW_KAFKA_PORT', 19092), kafkaController: portEnv(env, 'FMEAFLOW_KAFKA_CONTROLLER_PORT', 19093), registry: portEnv(env, 'FMEAFLOW_REGISTRY_PORT', 18081) };
}

/** Confluent-compatible base URL of a registry on `host:port`. */
export function registryUrlAt(host: string, port: number): string {
  return `http://${host}:${port}/apis/ccompat/v7`;
}

/** Endpoints from the environment, else the local stack's defaults. */
export function endpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const ports = localPorts(env);
  const brokers = env.KAFKA_BROKERS?.split(',').map((s) => s.trim()).filter(Boolean);
  return {
    brokers: brokers?.length ? brokers : [`${LOCAL_HOST}:${ports.kafka}`],
    registryUrl: env.SCHEMA_REGISTRY_URL?.trim() || registryUrlAt(LOCAL_HOST, ports.registry),
    externalKafka: Boolean(brokers?.length),
    externalRegistry: Boolean(env.SCHEMA_REGISTRY_URL?.trim()),
  };
}

/** Schema registry URL: `SCHEMA_REGISTRY_URL` or the local stack's. */
export function registryUrl(): string {
  return endpoints().registryUrl;
}

/** Bootstrap brokers as a list: `KAFKA_BROKERS` (comma separated) or the local stack's. */
export function brokers(): string[] {
  return endpoints().brokers;
}

/** The hint every "cannot reach the local stack" error ends with. */
export const START_STACK_HINT = 'start the local one with: npx tsx streams/cli.ts stack up';
