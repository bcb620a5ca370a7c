/**
 * Thin wrapper over @kafkajs/confluent-schema-registry that (1) pins BACKWARD
 * compatibility per subject before registering, (2) caches ids and writer types so
 * neither encode nor decode asks the registry twice for the same subject or id, and
 * (3) turns HTTP failures into typed fmeaflow errors.
 *
 * Schema-id lookups (decode of a record whose id is not cached) are classified:
 *  - 404 and other 4xx but 401/403/408/429: the id cannot be read from this registry →
 *    SERDE_UNKNOWN_SCHEMA_ID (not retriable: the record goes to the DLQ). The answer is
 *    cached for `negativeTtlMs`, so a stream of records with a garbage id costs one
 *    request per id and TTL, not one per record (at most `negativeCacheSize` ids).
 *  - unreachable, timeout (`requestTimeoutMs`), 408, 429, 5xx: the registry is down or
 *    overloaded, which says nothing about the record. The lookup is tried `attempts`
 *    times with exponential backoff, each failure logged and reported to `onError`
 *    (the worker counts them in fmeaflow_registry_errors_total), then REGISTRY_UNREACHABLE
 *    (retriable) is raised: the runner re-reads the batch from its last commit, so the
 *    partition pauses through an outage instead of dead-lettering good records, and
 *    records of already cached ids keep decoding.
 *  - 401/403: AUTH_FAILED, as for every other request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { logger } from '../observability/logger.ts';
import { parseAvroSchema, type AvroType } from './avro-type.ts';
import { connectionConfig, splitUserInfo, type RegistrySecurity } from '../kafka/connection-config.ts';
import { registryAgent, RegistryHttp } from './registry-http.ts';
import { incompatible, isUnreachable, statusOf, unreachable } from './registry-errors.ts';

const log = logger('registry');

/** Why one schema-id lookup failed: `not_found`/`client_error` are final for the id, the others are outages. */
export type RegistryErrorKind = 'not_found' | 'client_error' | 'server_error' | 'timeout' | 'unreachable';

export interface RegistryLookupOptions {
  /** How long an id the registry does not know is answered from the cache. Default 60 s. */
  readonly negativeTtlMs?: number;
  /** Ids kept in the negative cache (oldest dropped first). Default 10,000. */
  readonly negativeCacheSize?: number;
  /** Tries per lookup while the registry is down or overloaded. Default 4. */
  readonly attempts?: number;
  /** Backoff before the second try, doubled for each further try. Default 250 ms. */
  readonly backoffMs?: number;
  /** Per-request timeout. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Called for every failed lookup request (metrics); `cached` for answers from the negative cache. */
  readonly onError?: (e: { kind: RegistryErrorKind; schemaId: number; cached: boolean }) => void;
  /** Clock of the negative cache (tests). Default Date.now. */
  readonly nowMs?: () => number;
}

/** Registry access with per-id and per-subject caches. */
export class RegistryClient {
  readonly url: string;
  private readonly client: SchemaRegistry;
  private readonly typesById = new Map<number, Promise<AvroType>>();
  private readonly idsBySubject = new Map<string, Promise<number>>();
  /** Ids the registry does not know → the error and until when it stands (insertion order = age). */
  private readonly unknownIds = new Map<number, { err: FmeaflowError; untilMs: number }>();
  private readonly lookup: Required<Omit<RegistryLookupOptions, 'onError'>> & Pick<RegistryLookupOptions, 'onError'>;
  /** Number of HTTP round trips made (observable by tests: caching is a promise we keep). */
  requests = 0;

  private readonly http: RegistryHttp;
  /** `lookup`: a managed registry; ids are looked up, nothing is registered and no compatibility is changed. */
  readonly mode: 'register' | 'lookup';

  constructor(url: string, configured: RegistrySecurity = connectionConfig().registry, lookup: RegistryLookupOptions = {}) {
    this.lookup = { negativeTtlMs: 60_000, negativeCacheSize: 10_000, attempts: 4, backoffMs: 250, requestTimeoutMs: 10_000, nowMs: Date.now, ...lookup };
    // Credentials written into the URL are used as basic auth and dropped from it: the URL appears in errors.
    const split = splitUserInfo(url.replace(/\/+$/, ''));
    const security: RegistrySecurity = split.basic && !configured.basic && !configured.bearerToken ? { ...configured, basic: split.basic } : configured;
    this.url = split.url;
    this.mode = security.mode;
    this.http = new RegistryHttp(this.url, security);
    this.client = new SchemaRegistry({
      host: this.url,
      retry: { retries: 2, maxRetryTimeInSecs: 2 },
      ...(security.basic ? { auth: { username: security.basic.username, password: security.basic.password } } : {}),
      agent: registryAgent(this.url, security),
      ...(security.bearerToken ? { middlewares: [bearerMiddleware(security.bearerToken)] } : {}),
    } as never);
  }

  /** Sets BACKWARD compatibility on the subject, then registers the schema; returns its id (cached per subject + schema text). */
  register(subject: string, schemaText: string): Promise<number> {
    const cacheKey = `${subject}\u0000${schemaText}`;
    let p = this.idsBySubject.get(cacheKey);
    if (!p) {
      p = this.doRegister(subject, schemaText);
      this.idsBySubject.set(cacheKey, p);
      p.catch(() => this.idsBySubject.delete(cacheKey));
    }
    return p;
  }

  private async doRegister(subject: string, schemaText: string): Promise<number> {
    const schema = JSON.parse(schemaText) as unknown;
    if (this.mode === 'lookup') return this.lookUp(subject, schemaText, schema);
    await this.setBackward(subject);
    try {
      this.requests += 2; // the client reads the subject config, then registers
      const { id } = await this.client.register({ type: 'AVRO' as never, schema: schemaText } as never, { subject, compatibility: 'BACKWARD' as never });
      // The registry echoes the type by id later; remember ours so decode needs no round trip.
      if (!this.typesById.has(id)) this.typesById.set(id, Promise.resolve(parseAvroSchema(schema)));
      return id;
    } catch (err) {
      if (isUnreachable(err)) throw unreachable(this.url, err);
      if (statusOf(err) === 409) throw incompatible(subject, schema, err);
      throw new FmeaflowError(ErrorCodes.SCHEMA_INCOMPATIBLE, `registering ${subject} at ${this.url} failed: ${(err as Error).message}`, { cause: err, details: { subject } });
    }
  }

  /** Lookup mode: the id the registry already has for this exact schema under the subject (POST /subjects/{subject}); never writes. */
  private async lookUp(subject: string, schemaText: string, schema: unknown): Promise<number> {
    let res;
    try {
      this.requests++;
      res = await this.http.request('POST', `/subjects/${encodeURIComponent(subject)}`, JSON.stringify({ schema: schemaText, schemaType: 'AVRO' }));
    } catch (err) {
      throw unreachable(this.url, err);
    }
    if (res.status === 401 || res.status === 403) throw authFailed(this.url, res.status, `looking up ${subject}`);
    if (res.status === 404) {
      throw new FmeaflowError(ErrorCodes.SCHEMA_INCOMPATIBLE, `${subject}: this schema is not registered at ${this.url}, and the registry is in lookup mode (FMEAFLOW_REGISTRY_MODE=lookup); register it first with \`fmeaflow topics\` under a principal that may write schemas`, { details: { subject } });
    }
    if (res.status < 200 || res.status >= 300) throw new FmeaflowError(ErrorCodes.REGISTRY_UNREACHABLE, `looking up ${subject} at ${this.url} failed: HTTP ${res.status}`, { retriable: res.status >= 500, details: { url: this.url, subject } });
    const { id } = JSON.parse(res.text) as { id: number };
    if (!this.typesById.has(id)) this.typesById.set(id, Promise.resolve(parseAvroSchema(schema)));
    return id;
  }

  private async setBackward(subject: string): Promise<void> {
    let res;
    try {
      this.requests++;
      res = await this.http.request('PUT', `/config/${encodeURIComponent(subject)}`, JSON.stringify({ compatibility: 'BACKWARD' }));
    } catch (err) {
      throw unreachable(this.url, err);
    }
    if (res.status === 401 || res.status === 403) throw authFailed(this.url, res.status, `setting compatibility on ${subject}`);
    if (res.status < 200 || res.status >= 300) {
      throw new FmeaflowError(ErrorCodes.REGISTRY_UNREACHABLE, `setting BACKWARD compatibility on ${subject} at ${this.url} failed: HTTP ${res.status} ${res.text.slice(0, 300)}`, { details: { url: this.url, subject } });
    }
  }

  /** Writer type of a schema id, fetched once per id; an unknown id is answered from the negative cache for a while. */
  typeForId(id: number, where: string): Promise<AvroType> {
    let p = this.typesById.get(id);
    if (!p) {
      const unknown = this.unknownIds.get(id);
      if (unknown && unknown.untilMs > this.lookup.nowMs()) {
        this.lookup.onError?.({ kind: 'not_found', schemaId: id, cached: true });
        return Promise.reject(new FmeaflowError(ErrorCodes.UNKNOWN_SCHEMA_ID, `${where}: ${unknown.err.message}`, { details: unknown.err.details }));
      }
      if (unknown) this.unknownIds.delete(id);
      p = this.fetchTypeWithRetries(id, where);
      this.typesById.set(id, p);
      // A failed lookup must not poison the cache: the id may be registered a moment later.
      p.catch(() => this.typesById.delete(id));
    }
    return p;
  }

  private async fetchTypeWithRetries(id: number, where: string): Promise<AvroType> {
    const { attempts, backoffMs } = this.lookup;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.fetchType(id, where);
      } catch (err) {
        const e = err as FmeaflowError & { kind?: RegistryErrorKind };
        if (!e.kind) throw err; // not a lookup answer (AUTH_FAILED): as for every other request
        this.lookup.onError?.({ kind: e.kind, schemaId: id, cached: false });
        if (!e.retriable) {
          this.rememberUnknown(id, e);
          throw new FmeaflowError(e.code, `${where}: ${e.message}`, { cause: e, details: e.details });
        }
        const last = attempt >= attempts;
        log.warn(last ? 'schema registry lookup failed; the batch is re-read later' : 'schema registry lookup failed; retrying', { schemaId: id, kind: e.kind, attempt, attempts, url: this.url, err: e.message });
        if (last) throw err;
        await sleep(backoffMs * 2 ** (attempt - 1));
      }
    }
  }

  private rememberUnknown(id: number, err: FmeaflowError): void {
    this.unknownIds.delete(id);
    this.unknownIds.set(id, { err, untilMs: this.lookup.nowMs() + this.lookup.negativeTtlMs });
    while (this.unknownIds.size > this.lookup.negativeCacheSize) this.unknownIds.delete(this.unknownIds.keys().next().value!);
  }

  private async fetchType(id: number, where: string): Promise<AvroType> {
    const failed = (kind: RegistryErrorKind, code: typeof ErrorCodes.UNKNOWN_SCHEMA_ID | typeof ErrorCodes.REGISTRY_UNREACHABLE, message: string, cause?: unknown): FmeaflowError =>
      Object.assign(new FmeaflowError(code, message, { retriable: code === ErrorCodes.REGISTRY_UNREACHABLE, cause, details: { schemaId: id, url: this.url } }), { kind });
    let res;
    try {
      this.requests++;
      res = await this.http.request('GET', `/schemas/ids/${id}`, undefined, this.lookup.requestTimeoutMs);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ETIMEDOUT') throw failed('timeout', ErrorCodes.REGISTRY_UNREACHABLE, `${where}: registry ${this.url} did not answer within ${this.lookup.requestTimeoutMs} ms for schema id ${id}`, err);
      throw failed('unreachable', ErrorCodes.REGISTRY_UNREACHABLE, `${where}: ${unreachable(this.url, err).message}`, err);
    }
    if (res.status === 401 || res.status === 403) throw authFailed(this.url, res.status, `${where}: reading schema id ${id}`);
    if (res.status === 404) {
      throw failed('not_found', ErrorCodes.UNKNOWN_SCHEMA_ID, `schema id ${id} is not known to the registry at ${this.url} (written against another registry, or the subject was deleted)`);
    }
    if (res.status >= 500 || res.status === 408 || res.status === 429 || res.status < 200) {
      throw failed('server_error', ErrorCodes.REGISTRY_UNREACHABLE, `${where}: registry ${this.url} answered HTTP ${res.status} for schema id ${id}`);
    }
    if (res.status >= 300) throw failed('client_error', ErrorCodes.UNKNOWN_SCHEMA_ID, `registry ${this.url} refused schema id ${id} with HTTP ${res.status}`);
    let body: { schema?: unknown; schemaType?: string };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch (err) {
      throw failed('client_error', ErrorCodes.UNKNOWN_SCHEMA_ID, `registry ${this.url} answered schema id ${id} with a body that is not JSON`, err);
    }
    if (body.schemaType && body.schemaType !== 'AVRO') {
      throw failed('client_error', ErrorCodes.UNKNOWN_SCHEMA_ID, `schema id ${id} is a ${body.schemaType} schema, fmeaflow reads Avro only`);
    }
    try {
      return parseAvroSchema(body.schema);
    } catch (err) {
      throw failed('client_error', ErrorCodes.UNKNOWN_SCHEMA_ID, `registry ${this.url} answered schema id ${id} with a schema avsc cannot parse: ${(err as Error).message}`, err);
    }
  }
}

/** The registry refused our credentials (or has none of ours): a retry cannot help. */
function authFailed(url: string, status: number, what: string): FmeaflowError {
  return new FmeaflowError(ErrorCodes.AUTH_FAILED, `${what}: the schema registry at ${url} refused our credentials (HTTP ${status}); check SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO / SCHEMA_REGISTRY_BEARER_TOKEN`, { details: { url, status } });
}

/** mappersmith middleware adding the bearer token to the library's own requests. */
function bearerMiddleware(token: string): unknown {
  return () => ({ request: (req: { enhance: (o: { headers: Record<string, string> }) => unknown }) => req.enhance({ headers: { Authorization: `Bearer ${token}` } }) });
}
