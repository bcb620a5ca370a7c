/**
 * Outbound encoding: turns what a task drained into the Kafka messages of one commit, with the size
 * guards that keep one bad record from failing the commit forever. A record the broker would refuse
 * (over its limit), or whose value its output schema rejects, is dead-lettered instead, so the rest of
 * the batch commits.
 */
import type { Message, TopicMessages } from 'kafkajs';
import { asFmeaflowError, ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { TaskDrain } from '../state/partition-task.ts';
import { cutForDeadLetter, deadLetterRecord, DLQ_RAW_BYTES } from '../state/dead-letter.ts';
import { stringifyWithBytes } from '../serde/json-bytes.ts';
import { CHANGELOG_MAX_MESSAGE_BYTES, MAX_RECORD_BYTES, messageBytes } from './send-chunks.ts';

export interface Encoder {
  encode(topic: string, value: unknown): Buffer | null;
}

export interface OutboundContext {
  readonly processor: string;
  readonly codec: Encoder;
  readonly changelog: string;
  readonly dlq: string;
  /** Called once per record this step dead-letters (the task counts its own). */
  readonly onDeadLetter: (code: string) => void;
}

function tooLarge(topic: string, size: number, limit: number): FmeaflowError {
  return new FmeaflowError(ErrorCodes.RECORD_TOO_LARGE, `record for ${topic} is ${size} bytes, over the ${limit}-byte limit; it is dead-lettered (value cut to ${DLQ_RAW_BYTES} bytes) instead of failing the batch`, { details: { topic, size, limit } });
}

/** The messages for `drain` of input `partition` (changelog records go to the same partition), grouped by topic. */
export function outboundMessages(ctx: OutboundContext, partition: number, drain: TaskDrain, traceparent: string | undefined): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  const push = (t: string, msg: Message): void => {
    let arr = byTopic.get(t);
    if (!arr) byTopic.set(t, (arr = []));
    arr.push(msg);
  };
  const deadLetter = (topic: string, key: string | Buffer, raw: Buffer, headers: Record<string, unknown> | undefined, e: FmeaflowError): void => {
    ctx.onDeadLetter(e.code);
    const dead = deadLetterRecord({ topic, partition: -1, offset: -1, rawKey: Buffer.from(key), rawValue: cutForDeadLetter(raw), headers }, e, Date.now(), ctx.processor);
    push(ctx.dlq, { key, value: ctx.codec.encode(ctx.dlq, dead) });
  };
  for (const o of drain.outputs) {
    const headers = traceparent ? { ...o.headers, traceparent } : o.headers;
    let msg: Message;
    try {
      msg = { key: o.key, value: ctx.codec.encode(o.topic, o.value), headers: headers as Record<string, string> | undefined };
    } catch (err) {
      // A processor produced a value its output schema rejects: keep it, in the DLQ, as JSON.
      deadLetter(o.topic, o.key, Buffer.from(stringifyWithBytes(o.value)), o.headers, asFmeaflowError(err, ErrorCodes.SCHEMA_MISMATCH));
      continue;
    }
    const size = messageBytes(msg);
    // The broker would refuse it and abort the whole transaction, every retry again: the batch could never commit.
    if (size > MAX_RECORD_BYTES) deadLetter(o.topic, o.key, msg.value as Buffer, o.headers, tooLarge(o.topic, size, MAX_RECORD_BYTES));
    else push(o.topic, msg);
  }
  for (const c of drain.changelog) {
    const msg: Message = { key: c.key, value: c.value === null || c.value === undefined ? null : Buffer.from(stringifyWithBytes(c.value)), partition };
    const size = messageBytes(msg);
    // A state value this large is a processor bug (its own bounds failed); the DLQ makes it visible without blocking the partition.
    if (size > CHANGELOG_MAX_MESSAGE_BYTES) deadLetter(ctx.changelog, c.key, msg.value as Buffer, undefined, tooLarge(ctx.changelog, size, CHANGELOG_MAX_MESSAGE_BYTES));
    else push(ctx.changelog, msg);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
