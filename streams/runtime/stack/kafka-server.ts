/**
 * A single-node Apache Kafka in KRaft combined mode (broker + controller in one JVM), run
 * from the Maven-resolved classpath. Settings make transactions work on one node.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { runningPid, startDetached, stopRecorded, waitUntil, type ManagedProcess } from './managed-process.ts';
import { stackPaths, type KafkaInstanceConfig, type SecureBrokerConfig, type StackPaths } from './stack-config.ts';

const NAME = 'kafka';

/** server.properties for a loopback-only single node with replication factors of 1. */
export function serverProperties(k: KafkaInstanceConfig): string {
  const listener = k.secure ? 'SASL_SSL' : 'PLAINTEXT';
  const mtls = k.secure?.mtlsPort;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${k.host}:${k.controllerPort}`,
    `listeners=${listener}://${k.host}:${k.port}${mtls ? `,SSL://${k.host}:${mtls}` : ''},CONTROLLER://${k.host}:${k.controllerPort}`,
    `advertised.listeners=${listener}://${k.host}:${k.port}${mtls ? `,SSL://${k.host}:${mtls}` : ''}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=${listener}:${listener},${mtls ? 'SSL:SSL,' : ''}CONTROLLER:PLAINTEXT`,
    `inter.broker.listener.name=${listener}`,
    ...(k.secure ? secureProperties(k.secure) : []),
    `log.dirs=${k.dataDir}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'group.initial.rebalance.delay.ms=0',
    // Short so that a killed worker's transactional id and group slot are reclaimed quickly in tests.
    'transaction.abort.timed.out.transaction.cleanup.interval.ms=5000',
    'log.cleaner.backoff.ms=5000',
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

/**
 * SASL_SSL with SCRAM-SHA-512 and the StandardAuthorizer: nothing is allowed without an ACL, but for the
 * super user (also the broker's own inter-broker identity) and the controller listener, which is on
 * loopback only and carries no client traffic.
 */
function secureProperties(sec: SecureBrokerConfig): string[] {
  return [
    'sasl.enabled.mechanisms=SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${sec.superUser.name}" password="${sec.superUser.password}";`,
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${sec.keystorePem}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${sec.truststorePem}`,
    'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    `super.users=User:${sec.superUser.name};User:ANONYMOUS`,
    'allow.everyone.if.no.acl.found=false',
    // The mTLS listener: a client without a certificate the CA signed is not let in at all (else it would be
    // ANONYMOUS, a super user for the controller's sake); the ACLs name the certificate's CN.
    ...(sec.mtlsPort ? ['listener.name.ssl.ssl.client.auth=required', 'ssl.principal.mapping.rules=RULE:^CN=([A-Za-z0-9._-]+)$/$1/,DEFAULT'] : []),
  ];
}

/** Whether a broker answers a metadata request at host:port (with `client` options for a secured listener). */
export async function kafkaReachable(brokers: string[], timeoutMs = 3000, client: Partial<ConstructorParameters<typeof Kafka>[0]> = {}): Promise<boolean> {
  const kafka = new Kafka({ clientId: 'fmeaflow-probe', brokers, logLevel: logLevel.NOTHING, connectionTimeout: timeoutMs, retry: { retries: 0 }, ...client });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [] });
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

function java(paths: StackPaths): string[] {
  return ['-cp', `${paths.kafkaLibDir}/*`, `-Dlog4j2.configurationFile=${paths.log4jConfig}`];
}

/** Formats the KRaft storage directory once (idempotent: skipped when meta.properties exists). */
function formatStorage(k: KafkaInstanceConfig, propsFile: string, paths: StackPaths): void {
  if (fs.existsSync(path.join(k.dataDir, 'meta.properties'))) return;
  const uuid = spawnSync('java', [...java(paths), 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' });
  const clusterId = (uuid.stdout ?? '').trim().split('\n').pop()?.trim();
  if (uuid.status !== 0 || !clusterId) throw new FmeaflowError(ErrorCodes.STACK_START_FAILED, `kafka-storage random-uuid failed: ${uuid.stderr}`);
  // SCRAM credentials are written into the metadata log at format time: the broker needs its own before it can start.
  const scram = k.secure ? [k.secure.superUser, ...k.secure.users].flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u.name},password=${u.password}]`]) : [];
  const fmt = spawnSync('java', [...java(paths), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propsFile, ...scram], { encoding: 'utf8' });
  if (fmt.status !== 0) throw new FmeaflowError(ErrorCodes.STACK_START_FAILED, `kafka-storage format failed: ${fmt.stdout}${fmt.stderr}`);
}

/** Starts the broker unless one already answers on the port; waits until a metadata request succeeds. */
export async function startKafka(k: KafkaInstanceConfig, paths: StackPaths = stackPaths()): Promise<{ started: boolean; process?: ManagedProcess }> {
  const address = `${k.host}:${k.port}`;
  if (!k.secure && (await kafkaReachable([address]))) return { started: false };
  fs.mkdirSync(k.runDir, { recursive: true });
  fs.mkdirSync(k.dataDir, { recursive: true });
  const propsFile = path.join(k.runDir, 'server.properties');
  fs.writeFileSync(propsFile, serverProperties(k));
  formatStorage(k, propsFile, paths);
  const proc = startDetached(NAME, k.runDir, 'java', [`-Xmx${k.heapMb}m`, `-Xms${Math.min(256, k.heapMb)}m`, ...java(paths), 'kafka.Kafka', propsFile]);
  const probe = k.secure ? { ssl: { ca: fs.readFileSync(k.secure.truststorePem, 'utf8') }, sasl: { mechanism: 'scram-sha-512' as const, username: k.secure.superUser.name, password: k.secure.superUser.password } } : {};
  await waitUntil(() => kafkaReachable([address], 1000, probe), { timeoutMs: 90_000, pid: proc.pid, what: `Kafka broker at ${address}`, logFile: proc.logFile });
  return { started: true, process: proc };
}

/** Stops the broker this project started in `k.runDir` (graceful: controlled shutdown). */
export async function stopKafka(k: KafkaInstanceConfig): Promise<boolean> {
  return stopRecorded(k.runDir, NAME, 60_000);
}

/** Pid of the broker this project started, if running. */
export function kafkaPid(k: KafkaInstanceConfig): number | undefined {
  return runningPid(k.runDir, NAME);
}
