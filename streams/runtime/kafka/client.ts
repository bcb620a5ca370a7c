/**
 * kafkajs client construction with our defaults: brokers from the environment, kafkajs'
 * own chatter routed to the structured logger at WARN and above, and a broker that
 * cannot be reached turned into a typed error that says how to start one.
 */
import kafkajs from 'kafkajs';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { brokers as defaultBrokers, START_STACK_HINT } from './connection.ts';
import { logger } from '../observability/logger.ts';
import { connectionConfig, tlsOptions, type KafkaSecurity } from './connection-config.ts';
import { oauthTokenProvider } from './oauth-token.ts';
import { authFailure, isBrokerUnreachable } from './kafka-errors.ts';
import { RefusalGuard } from './refusal-guard.ts';

const { Kafka, logLevel } = kafkajs;
export type KafkaClient = InstanceType<typeof Kafka>;

const log = logger('kafkajs');

type KafkaConfig = ConstructorParameters<typeof Kafka>[0];

/** kafkajs' `ssl` and `sasl` options for the configured security protocol. */
export function kafkaSecurityOptions(k: KafkaSecurity = connectionConfig().kafka): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (k.tls) out.ssl = tlsOptions(k.tls);
  if (k.sasl) {
    out.sasl = k.sasl.mechanism === 'OAUTHBEARER'
      ? { mechanism: 'oauthbearer', oauthBearerProvider: oauthTokenProvider(k.sasl.oauth) }
      : { mechanism: k.sasl.mechanism.toLowerCase() as 'plain', username: k.sasl.username, password: k.sasl.password };
  }
  return out;
}

/** The principal the broker sees, as its ACLs name it, when the configuration tells. */
function principalOf(k: KafkaSecurity, extra: Partial<KafkaConfig>): string | undefined {
  const sasl = extra.sasl ?? k.sasl;
  if (sasl && 'username' in sasl) return `User:${sasl.username}`;
  if (k.sasl?.mechanism === 'OAUTHBEARER' && !extra.sasl) return `the OAuth client ${k.sasl.oauth.clientId}`;
  return undefined;
}

/**
 * Creates a kafkajs client; `clientId` shows up in broker logs and quotas. TLS/SASL come from the
 * connection configuration. Its clients end a refused operation with one AUTH_FAILED (refusal-guard.ts).
 */
export function createKafka(clientId: string, brokerList: readonly string[] = defaultBrokers(), retries = 8, quiet = false, extra: Partial<KafkaConfig> = {}): KafkaClient {
  const guard = new RefusalGuard(principalOf(connectionConfig().kafka, extra));
  const kafka = new Kafka({
    ...kafkaSecurityOptions(),
    clientId,
    brokers: [...brokerList],
    // Quiet clients still hear ERROR entries: a refused request is only told there (see refusal-guard.ts).
    logLevel: quiet ? logLevel.ERROR : logLevel.WARN,
    retry: { initialRetryTime: 100, retries },
    logCreator: () => ({ level, log: entry }) => {
      const { message, ...rest } = entry as { message: string } & Record<string, unknown>;
      guard.noteResponse(message, rest);
      if (quiet) return;
      // CONCURRENT_TRANSACTIONS right after a commit is the broker finishing the previous transaction;
      // kafkajs and the runner retry it, so it is not worth a warning.
      const expected = typeof rest.error === 'string' && rest.error.startsWith('The producer attempted to update a transaction while another concurrent operation');
      // kafkajs logs expected rebalance/coordinator churn as ERROR; keep it but as warn-level data.
      if (level <= logLevel.ERROR && !expected) log.warn(message, rest);
      else log.debug(message, rest);
    },
    ...extra,
  });
  guard.install(kafka);
  return kafka;
}

/** Wraps a connection failure as KAFKA_BROKER_UNREACHABLE naming the brokers and the fix. */
export function brokerUnreachable(brokerList: readonly string[], err: unknown): FmeaflowError {
  return new FmeaflowError(ErrorCodes.BROKER_UNREACHABLE, `Kafka broker ${brokerList.join(',')} is unreachable (${(err as Error)?.message ?? err}); set KAFKA_BROKERS or ${START_STACK_HINT}`, {
    retriable: true,
    cause: err,
    details: { brokers: brokerList },
  });
}

/** Fails fast with KAFKA_BROKER_UNREACHABLE when no broker answers (instead of kafkajs' long retry ladder). */
export async function probeBrokers(brokerList: readonly string[] = defaultBrokers()): Promise<void> {
  // Quiet: the typed error below says it better than kafkajs' retry chatter.
  const admin = createKafka('fmeaflow-probe', brokerList, 1, true).admin();
  try {
    await admin.connect();
  } catch (err) {
    throw authFailure(err) ?? brokerUnreachable(brokerList, err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A connected admin client, or KAFKA_BROKER_UNREACHABLE naming the brokers and how to start the local ones. */
export async function connectAdmin(clientId: string, brokerList: readonly string[] = defaultBrokers()): Promise<ReturnType<KafkaClient['admin']>> {
  await probeBrokers(brokerList);
  const admin = createKafka(clientId, brokerList).admin();
  try {
    await admin.connect();
  } catch (err) {
    throw authFailure(err) ?? (isBrokerUnreachable(err) ? brokerUnreachable(brokerList, err) : err);
  }
  return admin;
}
