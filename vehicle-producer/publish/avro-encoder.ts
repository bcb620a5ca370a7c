/**
 * The one place the producer turns record values into Kafka bytes: Avro in Confluent
 * wire format, with schemas registered under `<topic>-value` through the project serde.
 * Values reaching here were built by our own code or validated against the same schema
 * when read (JSONL sources), so the hot path skips the serde's per-value validation and
 * writes with avsc directly; `validate: true` restores it. Swapping the encoding means
 * changing only this file.
 */
import { fileURLToPath } from 'node:url';
import { createSerde, type Serde } from '../../streams/runtime/serde/serde.ts';
import { frame } from '../../streams/runtime/serde/wire-format.ts';
import { SCHEMA_FILES, avroTypeOf, type RecordKind } from '../schemas.ts';

/** Topic per record kind. */
export type TopicMap = Record<RecordKind | 'can', string>;

/** Encodes values of each kind for its topic. */
export interface RecordEncoder {
  encode(kind: RecordKind | 'can', value: unknown): Buffer;
  readonly topics: TopicMap;
}

/** Registers the producer's schemas and returns a synchronous encoder. */
export async function createRecordEncoder(registryUrl: string, topics: TopicMap, opts: { validate?: boolean } = {}): Promise<RecordEncoder> {
  const serde: Serde = createSerde({ registryUrl, schemasDir: fileURLToPath(new URL('../../schemas', import.meta.url)) });
  const kinds = Object.keys(topics) as (RecordKind | 'can')[];
  for (const kind of kinds) await serde.register({ name: topics[kind], schema: SCHEMA_FILES[kind] });
  if (opts.validate) return { topics, encode: (kind, value) => serde.encodeSync(topics[kind], value) };
  const fast = new Map(kinds.map((k) => [k, { id: serde.schemaId(topics[k])!, type: serde.type(topics[k])! }]));
  return {
    topics,
    encode(kind, value) {
      const e = fast.get(kind)!;
      try {
        return frame(e.id, e.type.toBuffer(value));
      } catch {
        // Let the serde explain which field is wrong.
        return serde.encodeSync(topics[kind], value);
      }
    },
  };
}

/** Offline encoder for dry runs: local schemas, no registry, schema id 0 in the wire header. */
export function createOfflineEncoder(topics: TopicMap): RecordEncoder {
  return { topics, encode: (kind, value) => frame(0, avroTypeOf(kind).toBuffer(value)) };
}
