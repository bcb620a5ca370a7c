/**
 * The dead-letter record: the one shape every DLQ record has, whether the task rejected an input
 * (undecodable, processor threw, key mismatch) or the runner could not send an output (schema
 * mismatch, over the size limit). Operators replay from it, so it keeps the raw bytes and where they
 * came from, and never a secret in the message.
 */
import type { FmeaflowError } from '../../errors.ts';
import { redactText } from '../observability/redact.ts';

/** A dead-lettered record keeps at most this much of an outbound value (the DLQ topic has the broker's 1 MiB limit too). */
export const DLQ_RAW_BYTES = 64 * 1024;

export interface DeadLetterSource {
  readonly topic: string;
  /** -1 for an outbound record, which has no input position. */
  readonly partition: number;
  readonly offset: string | number;
  readonly rawKey: Buffer | null;
  readonly rawValue: Buffer | null;
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** The DLQ value for `source`, failed with `err` at `nowMs` in `processor` (null: failed before any processor ran). */
export function deadLetterRecord(source: DeadLetterSource, err: FmeaflowError, nowMs: number, processor: string | null) {
  return {
    sourceTopic: source.topic,
    sourcePartition: source.partition,
    sourceOffset: Number(source.offset),
    errorCode: err.code,
    errorMessage: redactText(err.message),
    retriable: err.retriable,
    processor,
    rawKey: source.rawKey,
    rawValue: source.rawValue,
    headers: { ...source.headers },
    failedAtMs: nowMs,
  };
}

/** An outbound value cut to DLQ_RAW_BYTES, so its dead letter fits the topic it goes to. */
export function cutForDeadLetter(raw: Buffer): Buffer {
  return raw.length > DLQ_RAW_BYTES ? raw.subarray(0, DLQ_RAW_BYTES) : raw;
}
