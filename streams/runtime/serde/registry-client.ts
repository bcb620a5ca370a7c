/**
 * Thin wrapper over @kafkajs/confluent-schema-registry that (1) pins BACKWARD
 * compatibility per subject before registering, (2) caches ids and writer types so
 * neither encode nor decode asks the registry twice for the same subject or id, and
 * (3) turns HTTP failures into typed fmeaflow errors.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { parseAvroSchema, type AvroType } from './avro-type.ts';
import { connectionConfig, splitUserInfo, type RegistrySecurity } from '../kafka/connection-config.ts';
import { registryAgent, RegistryHttp } from './registry-http.ts';
import { incompatible, isUnreachable, statusOf, unreachable } from './registry-errors.ts';

/** Registry access with per-id and per-subject caches. */
export class RegistryClient {
  readonly url: string;
  private readonly client: SchemaRegistry;
  private readonly typesById = new Map<number, Promise<AvroType>>();
  private readonly idsBySubject = new Map<string, Promise<number>>();
  /** Number of HTTP round trips made (observable by tests: caching is a promise we keep). */
  requests = 0;

  private readonly http: RegistryHttp;
  /** `lookup`: a managed registry; ids are looked up, nothing is registered and no compatibility is changed. */
  readonly mode: 'register' | 'lookup';

  constructor(url: string, configured: RegistrySecurity = connectionConfig().registry) {
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

  /** Writer type of a schema id, fetched once per id. */
  typeForId(id: number, where: string): Promise<AvroType> {
    let p = this.typesById.get(id);
    if (!p) {
      p = this.fetchType(id, where);
      this.typesById.set(id, p);
      // A failed lookup must not poison the cache: the id may be registered a moment later.
      p.catch(() => this.typesById.delete(id));
    }
    return p;
  }

  private async fetchType(id: number, where: string): Promise<AvroType> {
    let res;
    try {
      this.requests++;
      res = await this.http.request('GET', `/schemas/ids/${id}`);
    } catch (err) {
      throw unreachable(this.url, err);
    }
    if (res.status === 401 || res.status === 403) throw authFailed(this.url, res.status, `${where}: reading schema id ${id}`);
    if (res.status === 404) {
      throw new FmeaflowError(ErrorCodes.UNKNOWN_SCHEMA_ID, `${where}: schema id ${id} is not known to the registry at ${this.url} (written against another registry, or the subject was deleted)`, { details: { schemaId: id } });
    }
    if (res.status < 200 || res.status >= 300) throw new FmeaflowError(ErrorCodes.REGISTRY_UNREACHABLE, `${where}: registry ${this.url} answered HTTP ${res.status} for schema id ${id}`, { retriable: true, details: { url: this.url } });
    const body = JSON.parse(res.text) as { schema: string; schemaType?: string };
    if (body.schemaType && body.schemaType !== 'AVRO') {
      throw new FmeaflowError(ErrorCodes.UNKNOWN_SCHEMA_ID, `${where}: schema id ${id} is a ${body.schemaType} schema, fmeaflow reads Avro only`, { details: { schemaId: id } });
    }
    return parseAvroSchema(body.schema);
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
