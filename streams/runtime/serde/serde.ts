/**
 * The topic serde: Avro values in Confluent wire format, schemas from `schemas/*.avsc`
 * registered under `<topic>-value` with BACKWARD compatibility. Decoding reads with the
 * writer's schema (looked up by id once) resolved to our local schema, so old records
 * still decode after a compatible change.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type avro from 'avsc';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { registryUrl as defaultRegistryUrl } from '../kafka/connection.ts';
import { decodeAvro, encodeAvro, loadAvroSchemaFile, type AvroType } from './avro-type.ts';
import { RegistryClient, type RegistryLookupOptions } from './registry-client.ts';
import { PROJECT_ROOT } from '../../config/project-root.ts';
import { unframe, frame } from './wire-format.ts';

/** A topic and the `.avsc` file (in the schemas dir) its values use. */
export interface TopicSchemaBinding {
  readonly name: string;
  readonly schema: string;
}

export interface SerdeOptions {
  /** Confluent-compatible registry base URL; default `SCHEMA_REGISTRY_URL` or the local stack. */
  readonly registryUrl?: string;
  /** Folder holding the `.avsc` files; default `<cwd>/schemas`. */
  readonly schemasDir?: string;
  /** Negative cache, retries and error reporting of schema-id lookups (registry-client.ts). */
  readonly registryLookup?: RegistryLookupOptions;
}

export interface RegisterAllResult {
  /** topic → schema id */
  readonly registered: ReadonlyMap<string, number>;
  /** Topics whose schema file does not exist (only when `allowMissing`). */
  readonly missing: readonly string[];
}

export interface Serde {
  readonly registryUrl: string;
  /** Registers every topic's schema under `<topic>-value` (BACKWARD); throws CONFIG_INVALID for missing files unless `allowMissing`. */
  registerAll(catalog: readonly TopicSchemaBinding[], opts?: { allowMissing?: boolean }): Promise<RegisterAllResult>;
  /** Registers one topic's schema (idempotent, cached). */
  register(binding: TopicSchemaBinding): Promise<number>;
  /** True once the topic's schema is registered in this serde. */
  knows(topic: string): boolean;
  /** Encodes a value for a registered topic (sync, no I/O). */
  encodeSync(topic: string, value: unknown): Buffer;
  /** Encodes a value; registers the topic first when a binding for it was registered or given. */
  encode(topic: string, value: unknown): Promise<Buffer>;
  /** Decodes a wire-format payload read from `topic`. */
  decode(topic: string, payload: Buffer): Promise<unknown>;
  /** Schema id of a registered topic. */
  schemaId(topic: string): number | undefined;
  /** Local avsc type of a registered topic. */
  type(topic: string): AvroType | undefined;
  /** HTTP round trips made to the registry so far. */
  readonly registryRequests: number;
}

interface TopicEntry {
  readonly id: number;
  readonly type: AvroType;
}

/** The project's schemas folder: the default wherever a command is started from. */
const DEFAULT_SCHEMAS_DIR = join(PROJECT_ROOT, 'schemas');

/** Lists the `.avsc` files of a schemas folder (file names). */
export function listSchemaFiles(schemasDir = DEFAULT_SCHEMAS_DIR): string[] {
  return readdirSync(schemasDir).filter((f) => f.endsWith('.avsc')).sort();
}

/** Creates a serde bound to one registry and one schemas folder. */
export function createSerde(opts: SerdeOptions = {}): Serde {
  const url = opts.registryUrl ?? defaultRegistryUrl();
  const schemasDir = opts.schemasDir ?? DEFAULT_SCHEMAS_DIR;
  const registry = new RegistryClient(url, undefined, opts.registryLookup);
  const topics = new Map<string, TopicEntry>();
  const resolvers = new Map<string, avro.Resolver | null>();

  async function register(b: TopicSchemaBinding): Promise<number> {
    const path = join(schemasDir, b.schema);
    if (!existsSync(path)) {
      throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `topic ${b.name} uses schema ${b.schema} but ${path} does not exist`, { details: { topic: b.name, file: path } });
    }
    const { type, text } = loadAvroSchemaFile(path);
    const id = await registry.register(`${b.name}-value`, text);
    topics.set(b.name, { id, type });
    return id;
  }

  function entry(topic: string): TopicEntry {
    const e = topics.get(topic);
    if (!e) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `no schema registered for topic ${topic}: call serde.registerAll(catalog) first (is the topic in streams/topic-catalog.ts?)`, { details: { topic } });
    return e;
  }

  function resolverFor(topic: string, reader: AvroType, writerId: number, writer: AvroType): avro.Resolver | undefined {
    const key = `${topic}\u0000${writerId}`;
    let r = resolvers.get(key);
    if (r === undefined) {
      try {
        r = reader.createResolver(writer);
      } catch (err) {
        throw new FmeaflowError(ErrorCodes.SCHEMA_MISMATCH, `${topic}: records written with schema id ${writerId} cannot be read with the local schema: ${(err as Error).message}`, { cause: err });
      }
      resolvers.set(key, r);
    }
    return r ?? undefined;
  }

  const serde: Serde = {
    registryUrl: url,
    async registerAll(catalog, o = {}) {
      const missing = catalog.filter((b) => !existsSync(join(schemasDir, b.schema)));
      if (missing.length > 0 && !o.allowMissing) {
        throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `schema files missing in ${schemasDir}: ${missing.map((m) => `${m.schema} (topic ${m.name})`).join(', ')}`, { details: { missing: missing.map((m) => m.name) } });
      }
      const registered = new Map<string, number>();
      for (const b of catalog) {
        if (missing.includes(b)) continue;
        registered.set(b.name, await register(b));
      }
      return { registered, missing: missing.map((m) => m.name) };
    },
    register,
    knows: (topic) => topics.has(topic),
    encodeSync(topic, value) {
      const e = entry(topic);
      return frame(e.id, encodeAvro(e.type, value, topic));
    },
    async encode(topic, value) {
      return serde.encodeSync(topic, value);
    },
    async decode(topic, payload) {
      const { schemaId, body } = unframe(payload, topic);
      const local = topics.get(topic);
      if (local && local.id === schemaId) return decodeAvro(local.type, local.type, undefined, body, topic);
      const writer = await registry.typeForId(schemaId, topic);
      if (!local) return decodeAvro(writer, writer, undefined, body, topic);
      return decodeAvro(local.type, writer, resolverFor(topic, local.type, schemaId, writer), body, topic);
    },
    schemaId: (topic) => topics.get(topic)?.id,
    type: (topic) => topics.get(topic)?.type,
    get registryRequests() {
      return registry.requests;
    },
  };
  return serde;
}
