/**
 * How a topic's values are encoded: Avro through the serde for topics with a registered
 * schema (everything in the catalog), JSON with `$bytes` for internal topics
 * (changelogs, repartitions) whose values are processor-private state or intermediate
 * records that have no `.avsc`.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { Serde } from '../serde/serde.ts';
import { parseJsonWithBytes, stringifyWithBytes } from '../serde/json-bytes.ts';

/** Encoder/decoder choosing Avro or JSON per topic. */
export class TopicCodec {
  constructor(readonly serde: Serde) {}

  /** True when the topic is Avro (has a registered schema). */
  isAvro(topic: string): boolean {
    return this.serde.knows(topic);
  }

  /** Encodes a value; null stays null (a tombstone). */
  encode(topic: string, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (this.serde.knows(topic)) return this.serde.encodeSync(topic, value);
    return Buffer.from(stringifyWithBytes(value));
  }

  /** Decodes a value; null (tombstone) stays null. */
  async decode(topic: string, buf: Buffer | null): Promise<unknown> {
    if (buf === null) return null;
    if (this.serde.knows(topic)) return this.serde.decode(topic, buf);
    try {
      return parseJsonWithBytes(buf.toString('utf8'));
    } catch (err) {
      throw new FmeaflowError(ErrorCodes.INVALID_RECORD, `${topic}: value is not JSON (internal topics are JSON-encoded): ${(err as Error).message}`, { cause: err });
    }
  }
}
