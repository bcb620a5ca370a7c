/**
 * How one batch's outputs are cut into sendBatch calls, and how large one record may be.
 *
 * Two bounds apply. By count: kafkajs groups messages per partition with an O(n²) spread
 * (groupMessagesPerPartition.js, tulios/kafkajs#1576), so a 15k-record batch sent in one call
 * costs about 1 s of CPU. By bytes: the broker refuses a partition's record batch larger than
 * the topic's `max.message.bytes` (1 MiB by default) with MESSAGE_TOO_LARGE, and kafkajs puts all
 * of a call's messages for one partition into one record batch — 500 records of 5 KB each
 * already exceed it, and the refusal aborts the transaction, which would then be retried forever.
 */
import type { Message, TopicMessages } from 'kafkajs';

/** At most this many messages per sendBatch call. */
export const SEND_CHUNK_MESSAGES = Number(process.env.FMEAFLOW_SEND_CHUNK ?? 500);

/**
 * At most this many bytes (estimated, see messageBytes) per sendBatch call. Half the broker's
 * default limit: the estimate ignores compression-free batch framing details, and a call's bytes
 * may all land on one partition.
 */
export const SEND_CHUNK_BYTES = Number(process.env.FMEAFLOW_SEND_CHUNK_BYTES ?? 512 * 1024);

/**
 * Largest record the runner sends to an output, repartition or side topic. The broker's default
 * `max.message.bytes` is 1,048,588 for the whole record batch; the rest is framing headroom.
 */
export const MAX_RECORD_BYTES = Number(process.env.FMEAFLOW_MAX_RECORD_BYTES ?? 1_000_000);

/**
 * `max.message.bytes` of the runtime's changelog topics, and so the largest state record: a store
 * value (an embedding model, a cluster snapshot) can outgrow an output record, and the changelog is
 * read back only by this runtime, whose restore fetches 4 MiB per partition.
 */
export const CHANGELOG_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Record framing: attributes, timestamp/offset deltas and length varints (at most ~21 B) plus header framing. */
const RECORD_OVERHEAD = 32;

function byteLength(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Bytes one message takes in a record batch (key, value, headers, framing), as an upper estimate. */
export function messageBytes(m: Message): number {
  let n = RECORD_OVERHEAD + byteLength(m.key) + byteLength(m.value as Buffer | string | null);
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) n += 8 + Buffer.byteLength(k) + byteLength(x as Buffer | string | undefined);
  }
  return n;
}

/** The two bounds of one sendBatch call. */
export interface ChunkLimits {
  readonly messages: number;
  readonly bytes: number;
}

/**
 * Splits topic messages into sendBatch calls within both limits, order kept per topic. A single
 * message larger than the byte limit goes alone (whether it fits the topic is checked before).
 * Each chunk names a topic at most once: kafkajs keys its per-request state by topic, so a topic
 * listed twice in one sendBatch would silently lose the first list.
 */
export function chunked(topicMessages: readonly TopicMessages[], limits: ChunkLimits = { messages: SEND_CHUNK_MESSAGES, bytes: SEND_CHUNK_BYTES }): TopicMessages[][] {
  const out: TopicMessages[][] = [];
  let cur: TopicMessages[] = [];
  let count = 0;
  let bytes = 0;
  const flush = (): void => {
    if (cur.length > 0) out.push(cur);
    cur = [];
    count = 0;
    bytes = 0;
  };
  for (const tm of topicMessages) {
    let run: Message[] = [];
    for (const m of tm.messages) {
      const size = messageBytes(m);
      if (count > 0 && (count + 1 > limits.messages || bytes + size > limits.bytes)) {
        if (run.length > 0) cur.push({ topic: tm.topic, messages: run });
        run = [];
        flush();
      }
      run.push(m);
      count++;
      bytes += size;
    }
    if (run.length > 0) cur.push({ topic: tm.topic, messages: run });
  }
  flush();
  return out;
}
