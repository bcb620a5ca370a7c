/**
 * The local development stack as one unit: install on first use, start what is not already
 * running, stop only what this project started. When KAFKA_BROKERS / SCHEMA_REGISTRY_URL point
 * elsewhere nothing local is started; the endpoints are only checked.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { installStack } from './install.ts';
import { kafkaPid, kafkaReachable, startKafka, stopKafka } from './kafka-server.ts';
import { registryPid, registryReachable, registryUnreachable, startRegistry, stopRegistry } from './registry-server.ts';
import { endpoints, type Endpoints } from '../kafka/connection.ts';
import { defaultKafkaInstance, defaultRegistryInstance, registryUrlOf, stackPaths } from './stack-config.ts';

export type StackEndpoints = Endpoints;

/** Endpoints from the environment, else the local stack's defaults (the connection's rule). */
export function stackEndpoints(env: NodeJS.ProcessEnv = process.env): StackEndpoints {
  return endpoints(env);
}

export interface StackUpResult extends StackEndpoints {
  readonly startedKafka: boolean;
  readonly startedRegistry: boolean;
}

/** Ensures a broker and a registry are reachable, starting the local ones when needed. */
export async function stackUp(log: (m: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<StackUpResult> {
  const ep = stackEndpoints(env);
  let startedKafka = false;
  let startedRegistry = false;
  if (ep.externalKafka) {
    if (!(await kafkaReachable(ep.brokers))) {
      throw new FmeaflowError(ErrorCodes.BROKER_UNREACHABLE, `Kafka not reachable at ${ep.brokers.join(',')} (from KAFKA_BROKERS); unset KAFKA_BROKERS to use the local broker started by: npx tsx streams/cli.ts stack up`, { retriable: true });
    }
  }
  if (ep.externalRegistry && !(await registryReachable(ep.registryUrl))) throw registryUnreachable(ep.registryUrl);
  const needLocal = !ep.externalKafka || !ep.externalRegistry;
  if (needLocal && installStack(stackPaths(env), log).installed) log('local stack installed');
  if (!ep.externalKafka) {
    const k = defaultKafkaInstance(env);
    log(`Kafka: ensuring broker at ${k.host}:${k.port} …`);
    startedKafka = (await startKafka(k, stackPaths(env))).started;
    log(startedKafka ? `Kafka: started (KRaft, data ${k.dataDir})` : 'Kafka: already running, reused');
  }
  if (!ep.externalRegistry) {
    const r = defaultRegistryInstance(env);
    log(`Registry: ensuring ${registryUrlOf(r)} …`);
    startedRegistry = (await startRegistry(r, stackPaths(env))).started;
    log(startedRegistry ? `Registry: started (Apicurio, schemas in ${r.dataDir})` : 'Registry: already running, reused');
  }
  return { ...ep, startedKafka, startedRegistry };
}

/** Stops the local broker and registry that this project started (never external ones). */
export async function stackDown(log: (m: string) => void = () => {}, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const r = defaultRegistryInstance(env);
  const k = defaultKafkaInstance(env);
  log((await stopRegistry(r)) ? 'Registry: stopped' : 'Registry: not started by this project');
  log((await stopKafka(k)) ? 'Kafka: stopped' : 'Kafka: not started by this project');
}

/** A human-readable status of both services. */
export async function stackStatus(env: NodeJS.ProcessEnv = process.env): Promise<Record<string, string>> {
  const ep = stackEndpoints(env);
  const k = defaultKafkaInstance(env);
  const r = defaultRegistryInstance(env);
  const kp = kafkaPid(k);
  const rp = registryPid(r);
  return {
    kafka: `${ep.brokers.join(',')} ${(await kafkaReachable(ep.brokers)) ? 'reachable' : 'DOWN'}${kp ? ` (local pid ${kp})` : ''}`,
    registry: `${ep.registryUrl} ${(await registryReachable(ep.registryUrl)) ? 'reachable' : 'DOWN'}${rp ? ` (local pid ${rp})` : ''}`,
  };
}
