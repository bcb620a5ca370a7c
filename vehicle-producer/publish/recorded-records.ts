/**
 * The records a publish would send, kept in memory instead of sent: drives, candump logs and JSONL
 * files through the producer's own parsing, batching and log sampling (a dry run), so the replay
 * runtime (`fmeaflow replay`, tests, benchmarks) sees exactly what the engine would read from Kafka.
 */
import { ErrorCodes, FmeaflowError } from '../../streams/errors.ts';
import type { ReplaySource } from '../drive/drive-reader.ts';
import { replayDrives, replaySources, type ReplayOptions, type ReplayResult } from './replay.ts';

/** One record as it would be published (topic, key, decoded value). */
export interface RecordedRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
}

/** Producer options that shape the records (batching, DBC decoding, candump time, bitrate); sending options are ignored. */
export type RecordedInputOptions = Omit<ReplayOptions, 'dryRun' | 'onRecord' | 'speed' | 'sink' | 'brokers' | 'registryUrl' | 'spoolDir'>;

export interface RecordedRecords {
  readonly records: RecordedRecord[];
  /** The dry run's counters (input lines skipped, DBC decoding, event-time span). */
  readonly report: ReplayResult;
}

const dryRun = (o: RecordedInputOptions, out: RecordedRecord[]): ReplayOptions => ({
  // A replay sees every log line unless sampling is asked for.
  sampleLogs: false, ...o, speed: 'max', dryRun: true, onRecord: (topic, key, value) => out.push({ topic, key, value }),
});

/** What a publish of recorded drive folders (each with drive.json) would send, as one fleet merged in event time. */
export async function driveRecords(driveDirs: readonly string[], o: RecordedInputOptions = {}): Promise<RecordedRecords> {
  const records: RecordedRecord[] = [];
  const report = await replayDrives({ ...dryRun(o, records), drives: driveDirs });
  return { records, report };
}

/** What a publish of candump / JSONL sources would send, merged in event time; a CAN input of which no frame could be read is a PARSE_ERROR. */
export async function sourceRecords(sources: readonly ReplaySource[], o: RecordedInputOptions = {}): Promise<RecordedRecords> {
  const records: RecordedRecord[] = [];
  const report = await replaySources([...sources], dryRun(o, records));
  if (report.frames === 0 && report.inputErrors > 0 && sources.some((s) => s.type === 'candump')) {
    const files = sources.map((s) => ('file' in s ? s.file : s.type)).join(', ');
    throw new FmeaflowError(ErrorCodes.PARSE_ERROR, `${files}: no CAN frame could be read (${report.issues.slice(0, 3).join('; ')})`, { details: { files } });
  }
  return { records, report };
}

/** The records a publish of one candump log as `vehicleId` would send (CAN frame batches, keyed by vehicle). */
export async function candumpRecords(file: string, vehicleId: string, o: RecordedInputOptions = {}): Promise<RecordedRecord[]> {
  return (await sourceRecords([{ type: 'candump', file, vehicleId }], o)).records;
}
