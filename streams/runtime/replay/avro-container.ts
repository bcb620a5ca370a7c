/**
 * Inputs of the replay runtime besides JSONL: Avro object container files (`.avro`, as Kafka Connect
 * sinks and avro-tools write them). Drives and candump logs become records through the vehicle producer
 * (vehicle-producer/publish/recorded-records.ts), so the runtime does not depend on the producer.
 */
import { createReadStream } from 'node:fs';
import avro from 'avsc';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { parseAvroSchema } from '../serde/avro-type.ts';
import type { ReplayRecord } from './replay.ts';

/** Records of an Avro object container file, all for `topic`, keyed by the value's `keyField` (e.g. vehicleId). */
export async function avroContainerRecords(file: string, topic: string, keyField: string): Promise<ReplayRecord[]> {
  const out: ReplayRecord[] = [];
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => reject(new FmeaflowError(ErrorCodes.PARSE_ERROR, `${file}: not a readable Avro container file (${(err as Error).message})`, { cause: err, details: { file } }));
    createReadStream(file)
      .on('error', fail)
      // The file's own schema, parsed with the bounded array/map reads every topic value gets (serde/bounded-avro.ts).
      .pipe(new avro.streams.BlockDecoder({ parseHook: (schema) => parseAvroSchema(schema) }))
      .on('data', (value: Record<string, unknown>) => {
        const key = value[keyField];
        if (typeof key !== 'string') return fail(new Error(`record ${out.length + 1} has no string field '${keyField}' to key it by`));
        out.push({ topic, key, value });
      })
      .on('error', fail)
      .on('end', () => resolve());
  });
  return out;
}
