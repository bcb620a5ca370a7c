/**
 * Classification of Kafka client errors into fmeaflow's typed errors. Kept free of the client
 * library so the CLI's error reporter can use it without loading one.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

const AUTHZ = /^(TOPIC|GROUP|CLUSTER|TRANSACTIONAL_ID|DELEGATION_TOKEN)_AUTHORIZATION_FAILED$/;

/** Who was refused and, when the operation tells, which ACL would have allowed it. */
export interface RefusalContext {
  readonly principal?: string;
  /** Right by right, e.g. `WRITE on TOPIC fmea.rules.v1`. */
  readonly missing?: (type: string) => string | undefined;
}

/**
 * AUTH_FAILED for a kafkajs error that is the broker refusing who we are (SASL) or what we asked
 * (an ACL), wherever it sits in the error's causes; undefined for any other error. A retry cannot
 * help either, and the message says which principal and what was refused, never a secret.
 */
export function authFailure(err: unknown, ctx: RefusalContext = {}): FmeaflowError | undefined {
  if (err instanceof FmeaflowError) return err.code === ErrorCodes.AUTH_FAILED ? err : undefined;
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number): FmeaflowError | undefined => {
    if (e === null || typeof e !== 'object' || seen.has(e) || depth > 6) return undefined;
    seen.add(e);
    const x = e as { name?: string; type?: string; message?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] };
    if (x.name === 'KafkaJSSASLAuthenticationError') return new FmeaflowError(ErrorCodes.AUTH_FAILED, `the Kafka broker refused our SASL credentials (${x.message ?? 'authentication failed'}); check KAFKA_SASL_* or sasl.jaas.config`, { cause: e });
    if (typeof x.type === 'string' && AUTHZ.test(x.type)) {
      const missing = ctx.missing?.(x.type);
      return new FmeaflowError(ErrorCodes.AUTH_FAILED, `the Kafka broker denied ${ctx.principal ?? 'this principal'}: ${x.type}${missing ? `, missing ${missing}` : ` (${x.message ?? ''})`}; grant the ACLs listed in the README for this component`, { cause: e, details: { type: x.type, ...(missing ? { missing } : {}) } });
    }
    for (const c of [x.cause, x.originalError, ...(Array.isArray(x.errors) ? x.errors : [])]) {
      const found = walk(c, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(err, 0);
}


/** The broker error types a kafkajs error carries, itself first then its causes (kafkajs wraps them in retry errors). */
function errorTypes(err: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown, depth: number): void => {
    if (e === null || typeof e !== 'object' || seen.has(e) || depth > 6) return;
    seen.add(e);
    const x = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown[] };
    if (typeof x.type === 'string') out.push(x.type);
    for (const c of [x.cause, x.originalError, ...(Array.isArray(x.errors) ? x.errors : [])]) walk(c, depth + 1);
  };
  walk(err, 0);
  return out;
}

const REJOIN = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR', 'FENCED_INSTANCE_ID']);
const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED']);

/**
 * The group moved on without us (rebalance, expired member, coordinator moved): the consumer must
 * rejoin and take whatever it is assigned then; re-reading the partition here would be wrong.
 */
export function needsRejoin(err: unknown): boolean {
  return errorTypes(err).some((t) => REJOIN.has(t));
}

/**
 * A newer producer with our transactional id exists: another member owns the partition now.
 * Re-initialising would fence that owner in turn, so the caller gives the partition up instead.
 */
export function producerFenced(err: unknown): boolean {
  return errorTypes(err).some((t) => FENCED.has(t));
}

/**
 * The broker is still writing the previous transaction's markers (CONCURRENT_TRANSACTIONS). Only the
 * error itself counts, not a cause: a wrapped one may come after part of a request was applied.
 */
export function concurrentTransactions(err: unknown): boolean {
  return (err as { type?: unknown } | null)?.type === 'CONCURRENT_TRANSACTIONS';
}

/**
 * True when repeating the same request later can succeed: the broker said so (kafkajs `retriable`),
 * or no broker answered. Never for authorisation, fencing or group-membership errors, which a repeat
 * meets again.
 */
export function canRetry(err: unknown): boolean {
  if (authFailure(err) || producerFenced(err) || needsRejoin(err)) return false;
  if (isBrokerUnreachable(err)) return true;
  return (err as { retriable?: unknown } | null)?.retriable === true;
}

/** True when a kafkajs error means no broker answered. */
export function isBrokerUnreachable(err: unknown): boolean {
  const e = err as { name?: string; message?: string };
  if (authFailure(err)) return false;
  return /KafkaJSConnectionError|KafkaJSNumberOfRetriesExceeded|KafkaJSNonRetriableError/.test(e?.name ?? '') && /ECONNREFUSED|Connection|connect/i.test(e?.message ?? '');
}
