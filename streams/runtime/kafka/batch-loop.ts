/**
 * The batch loop: feeds one fetched partition batch, record by record, through its task. Decoding
 * happens here because a record the codec rejects is the task's to dead-letter, while a codec that
 * cannot reach its registry says nothing about the record and aborts the batch to re-read it later.
 */
import { performance } from 'node:perf_hooks';
import { asFmeaflowError, ErrorCodes } from '../../errors.ts';
import type { PartitionTask, TaskInput } from '../state/partition-task.ts';

/** Heartbeat at least this often while a batch is processed (by time: a slow processor must not outlive its session). */
export const HEARTBEAT_EVERY_MS = 1000;

/** The parts of a fetched batch the loop reads (a kafkajs Batch has them). */
export interface FetchedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: readonly { offset: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }[];
}

export interface Decoder {
  decode(topic: string, value: Buffer | null): Promise<unknown>;
}

/** String headers of a record (kafkajs gives Buffers, possibly arrays of them). */
function headersOf(raw: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw) for (const [k, v] of Object.entries(raw)) if (v !== undefined) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  return headers;
}

/**
 * Runs the batch's records through `task` until `running()` turns false; returns how many it handled
 * (a prefix of the batch: the commit covers exactly those). Throws a retriable decode error.
 */
export async function processBatch(task: PartitionTask<any>, batch: FetchedBatch, decoder: Decoder, heartbeat: () => Promise<void>, running: () => boolean): Promise<number> {
  const { topic, partition, messages } = batch;
  if (messages.length === 0) return 0;
  // Behind: more of this partition is waiting, possibly far behind the others in event time; routers pass that on so
  // the repartitioned stage waits for this partition (runtime/time/partition-clock.ts). Every record but a batch's
  // last is behind (the rest of the batch follows it); the last one is when records remain after the batch, with one
  // record of slack because a transactional topic ends in a commit marker no consumer ever reads.
  const lastOffset = messages[messages.length - 1]!.offset;
  const backlog = BigInt(batch.highWatermark) - BigInt(lastOffset) - 1n > 1n;
  let processed = 0;
  let lastBeat = performance.now();
  for (const m of messages) {
    if (!running()) break;
    const input: TaskInput = { topic, partition, offset: m.offset, key: m.key?.toString('utf8') ?? '', headers: headersOf(m.headers), rawKey: m.key, rawValue: m.value, ...(backlog || m.offset !== lastOffset ? { behind: true } : {}) };
    let value: unknown;
    let ok = true;
    try {
      value = await decoder.decode(topic, m.value);
    } catch (err) {
      const e = asFmeaflowError(err, ErrorCodes.INVALID_RECORD);
      // A registry that cannot be reached says nothing about the record: abort and re-read it later
      // instead of dead-lettering a good record.
      if (e.retriable) throw e;
      ok = false;
      task.deadLetter(input, e, Date.now());
    }
    if (ok) task.handle(input, value, Date.now());
    processed++;
    if (performance.now() - lastBeat >= HEARTBEAT_EVERY_MS) {
      await heartbeat();
      lastBeat = performance.now();
    }
  }
  return processed;
}
