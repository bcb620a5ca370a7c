/**
 * Inputs of the replay runtime besides JSONL: candump logs and recorded drives (through the vehicle
 * producer's own parsing, batching and log sampling, so a replay sees exactly the records a publish
 * would send), and Avro object container files (`.avro`, as Kafka Connect sinks and avro-tools write them).
 */
import { createReadStream } from 'node:fs';
import avro from 'avsc';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { parseAvroSchema } from '../serde/avro-type.ts';
import { replayDrives, replaySources } from '../../../vehicle-producer/publish/replay.ts';
import type { ReplayRecord } from './replay.ts';

/** Options of the producer path used to turn CAN logs and drives into records. */
export interface RecordedInputOptions {
  /** CAN batching interval per vehicle (default: the producer's, 100 ms). */
  readonly batchMs?: number;
  /** Adaptive log sampling as a publish would apply it (default off: a replay sees every line). */
  readonly sampleLogs?: boolean;
}

/** The records a publish of one candump log as `vehicleId` would send (CAN frame batches, keyed by vehicle). */
export async function candumpRecords(file: string, vehicleId: string, o: RecordedInputOptions = {}): Promise<ReplayRecord[]> {
  const out: ReplayRecord[] = [];
  const r = await replaySources([{ type: 'candump', file, vehicleId }], { speed: 'max', dryRun: true, sampleLogs: o.sampleLogs ?? false, ...(o.batchMs ? { batchMs: o.batchMs } : {}), onRecord: (topic, key, value) => out.push({ topic, key, value }) });
  if (r.frames === 0 && r.inputErrors > 0) throw new FmeaflowError(ErrorCodes.PARSE_ERROR, `${file}: no CAN frame could be read (${r.issues.slice(0, 3).join('; ')})`, { details: { file } });
  return out;
}

/** The records a publish of recorded drive folders (each with drive.json) would send, in publication order. */
export async function driveRecords(driveDirs: readonly string[], o: RecordedInputOptions = {}): Promise<ReplayRecord[]> {
  const out: ReplayRecord[] = [];
  await replayDrives({ drives: driveDirs, speed: 'max', dryRun: true, sampleLogs: o.sampleLogs ?? false, ...(o.batchMs ? { batchMs: o.batchMs } : {}), onRecord: (topic, key, value) => out.push({ topic, key, value }) });
  return out;
}

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
