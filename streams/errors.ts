/**
 * Typed errors shared by processors and the runtime. Every error carries a stable
 * machine-readable code (used in DLQ records, logs and metrics labels) and whether
 * retrying the same operation can help.
 */

/** Stable error codes. Add new codes; never rename or reuse one. */
export const ErrorCodes = {
  // serde / wire format
  BAD_MAGIC_BYTE: 'SERDE_BAD_MAGIC_BYTE',
  UNKNOWN_SCHEMA_ID: 'SERDE_UNKNOWN_SCHEMA_ID',
  TRUNCATED_PAYLOAD: 'SERDE_TRUNCATED_PAYLOAD',
  SCHEMA_MISMATCH: 'SERDE_SCHEMA_MISMATCH',
  /** An Avro array/map block announces more items than the bytes left in the body could hold (a decode bomb). */
  BLOCK_COUNT_EXCEEDED: 'SERDE_BLOCK_COUNT_EXCEEDED',
  /** An Avro body that does not decode with its writer's schema (bad union/enum index, trailing bytes, invalid UTF-8 length). */
  INVALID_BODY: 'SERDE_INVALID_BODY',
  SCHEMA_INCOMPATIBLE: 'REGISTRY_SCHEMA_INCOMPATIBLE',
  // infrastructure
  BROKER_UNREACHABLE: 'KAFKA_BROKER_UNREACHABLE',
  REGISTRY_UNREACHABLE: 'REGISTRY_UNREACHABLE',
  /** The broker, the registry or a token endpoint refused our credentials (or has none of ours). */
  AUTH_FAILED: 'AUTH_FAILED',
  TOPIC_CONFIG_DRIFT: 'TOPIC_CONFIG_DRIFT',
  TOPIC_NOT_READY: 'KAFKA_TOPIC_NOT_READY',
  PRODUCE_FAILED: 'KAFKA_PRODUCE_FAILED',
  STACK_INSTALL_FAILED: 'STACK_INSTALL_FAILED',
  STACK_START_FAILED: 'STACK_START_FAILED',
  // processing
  PROCESSOR_FAILED: 'PROCESSOR_FAILED',
  INVALID_RECORD: 'INVALID_RECORD',
  LATE_RECORD: 'LATE_RECORD',
  TRANSACTION_ABORTED: 'TRANSACTION_ABORTED',
  APP_STILL_RUNNING: 'APP_STILL_RUNNING',
  GLOBAL_TABLES_NOT_LOADED: 'GLOBAL_TABLES_NOT_LOADED',
  /** A record's event time ran far ahead of its partition while other sources still report (runtime/time/source-clock.ts). */
  CLOCK_JUMP: 'CLOCK_JUMP',
  /** A release event names a service outside the configured service catalog. */
  RELEASE_UNKNOWN_SERVICE: 'RELEASE_UNKNOWN_SERVICE',
  /** A counter/histogram window reached its point bound; the point is dead-lettered, not kept. */
  SERIES_WINDOW_FULL: 'SERIES_WINDOW_FULL',
  /** A histogram point whose bucket bounds differ from its window's cannot be merged. */
  HISTOGRAM_BOUNDS_CHANGED: 'HISTOGRAM_BOUNDS_CHANGED',
  /** A record is larger than its topic accepts (max.message.bytes); it is dead-lettered instead of failing the batch. */
  RECORD_TOO_LARGE: 'RECORD_TOO_LARGE',
  /** A record's Kafka key differs from the vehicle id in its value: state keyed by that id must not trust either. */
  KEY_MISMATCH: 'RECORD_KEY_MISMATCH',
  /** A record would open state past a configured cap (series, label sets, vehicles per partition); it is refused, admitted state goes on. */
  STATE_LIMIT_REACHED: 'STATE_LIMIT_REACHED',
  // user input
  BAD_CLI_ARGUMENT: 'CLI_BAD_ARGUMENT',
  BAD_CONFIG: 'CONFIG_INVALID',
  PARSE_ERROR: 'PARSE_ERROR',
  RULE_INVALID: 'RULE_INVALID',
  POLICY_INVALID: 'POLICY_INVALID',
  DBC_INVALID: 'DBC_INVALID',
  CAN_NETWORK_INVALID: 'CAN_NETWORK_INVALID',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base class of every error fmeaflow raises on purpose. */
export class FmeaflowError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: { retriable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FmeaflowError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
    this.details = opts.details ?? {};
  }

  /** A JSON-friendly view for structured logs and DLQ records. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, retriable: this.retriable, message: this.message, ...this.details };
  }
}

/** A problem located in a user-edited file (rule file, policy file, DBC, candump). */
export class SourceLocationError extends FmeaflowError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, loc: { file: string; line: number; column?: number; field?: string }) {
    const where = `${loc.file}:${loc.line}${loc.column ? `:${loc.column}` : ''}`;
    super(code, `${where}${loc.field ? ` (${loc.field})` : ''}: ${message}`, { details: { ...loc } });
    this.name = 'SourceLocationError';
    this.file = loc.file;
    this.line = loc.line;
    this.column = loc.column ?? 0;
    this.field = loc.field;
  }
}

/** Characters of an untrusted value (a record key, a vehicle id, a label) an error message quotes at most. */
export const MAX_QUOTED_CHARS = 64;

/** An untrusted value for an error message: cut to MAX_QUOTED_CHARS and JSON-quoted, so control characters are escaped. */
export function quoteUntrusted(s: string): string {
  return JSON.stringify(s.length > MAX_QUOTED_CHARS ? `${s.slice(0, MAX_QUOTED_CHARS)}…` : s);
}

/** Normalises anything thrown into an FmeaflowError so callers can rely on `code`. */
export function asFmeaflowError(err: unknown, fallback: ErrorCode = ErrorCodes.PROCESSOR_FAILED): FmeaflowError {
  if (err instanceof FmeaflowError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FmeaflowError(fallback, message, { cause: err });
}
