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

