/**
 * Thin wrapper over @kafkajs/confluent-schema-registry that (1) pins BACKWARD
 * compatibility per subject before registering, (2) caches ids and writer types so
 * neither encode nor decode asks the registry twice for the same subject or id, and
 * (3) turns HTTP failures into typed fmeaflow errors.
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { parseAvroSchema, type AvroType } from './avro-type.ts';
import { incompatible, isUnreachable, statusOf, unreachable } from './registry-errors.ts';

/** Registry access with per-id and per-subject caches. */
export class RegistryClient {
  readonly url: string;
  private readonly client: SchemaRegistry;
  private readonly typesById = new Map<number, Promise<AvroType>>();
  private readonly idsBySubject = new Map<string, Promise<number>>();
  /** Number of HTTP round trips made (observable by tests: caching is a promise we keep). */
  requests = 0;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
    this.client = new SchemaRegistry({ host: this.url, retry: { retries: 2, maxRetryTimeInSecs: 2 } });
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

  private async setBackward(subject: string): Promise<void> {
    let res: Response;
    try {
      this.requests++;
      res = await fetch(`${this.url}/config/${encodeURIComponent(subject)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
        body: JSON.stringify({ compatibility: 'BACKWARD' }),
      });
    } catch (err) {
      throw unreachable(this.url, (err as Error & { cause?: unknown }).cause ?? err);
    }
    if (!res.ok) {
      throw new FmeaflowError(ErrorCodes.REGISTRY_UNREACHABLE, `setting BACKWARD compatibility on ${subject} at ${this.url} failed: HTTP ${res.status} ${await res.text()}`, { details: { url: this.url, subject } });
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
    let res: Response;
    try {
      this.requests++;
      res = await fetch(`${this.url}/schemas/ids/${id}`);
    } catch (err) {
      throw unreachable(this.url, (err as Error & { cause?: unknown }).cause ?? err);
    }
    if (res.status === 404) {
      throw new FmeaflowError(ErrorCodes.UNKNOWN_SCHEMA_ID, `${where}: schema id ${id} is not known to the registry at ${this.url} (written against another registry, or the subject was deleted)`, { details: { schemaId: id } });
    }
    if (!res.ok) throw new FmeaflowError(ErrorCodes.REGISTRY_UNREACHABLE, `${where}: registry ${this.url} answered HTTP ${res.status} for schema id ${id}`, { retriable: true, details: { url: this.url } });
    const body = (await res.json()) as { schema: string; schemaType?: string };
    if (body.schemaType && body.schemaType !== 'AVRO') {
      throw new FmeaflowError(ErrorCodes.UNKNOWN_SCHEMA_ID, `${where}: schema id ${id} is a ${body.schemaType} schema, fmeaflow reads Avro only`, { details: { schemaId: id } });
    }
    return parseAvroSchema(body.schema);
  }
}
