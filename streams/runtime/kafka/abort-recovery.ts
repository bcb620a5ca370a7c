/**
 * What follows an aborted batch, once its partition's state is dropped: either the group has moved on
 * (rejoin, fenced producer: the error goes back to kafkajs, which rejoins) or the partition is rewound
 * to its last commit and read again, after a pause when an outside service is down.
 */
import type { Admin, Consumer } from 'kafkajs';
import { ErrorCodes, type FmeaflowError } from '../../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { committedOffset } from './consumer-groups.ts';
import { needsRejoin, producerFenced } from './kafka-errors.ts';

/** Pause before re-reading a partition whose batch failed on an unreachable outside service. */
const RETRIABLE_BACKOFF_MS = 1000;

export interface RewindContext {
  readonly admin: Admin;
  readonly consumer: Consumer;
  readonly groupId: string;
  readonly log: Logger;
}

/** Rewinds `partition` of `topic` to the group's last commit, or rethrows `err` when the group must rejoin instead. */
export async function rewindAfterAbort(ctx: RewindContext, topic: string, partition: number, err: unknown, e: FmeaflowError): Promise<void> {
  // Group-membership errors belong to kafkajs: it rejoins and reassigns; our state is already dropped.
  // A fenced producer means another member owns the partition now: let kafkajs rejoin the group (a new member id
  // drops every task) instead of re-initialising the producer, which would fence the new owner in turn.
  if (needsRejoin(err) || producerFenced(err)) throw err;
  ctx.log.warn('batch aborted; state dropped and partition rewound to the last commit', { topic, partition, err: e });
  // An outside service is down (registry): do not re-read the partition in a tight loop while it is.
  if (e.retriable && e.code !== ErrorCodes.TRANSACTION_ABORTED) await new Promise((r) => setTimeout(r, RETRIABLE_BACKOFF_MS));
  try {
    await rewindToCommit(ctx, topic, partition);
  } catch (seekErr) {
    ctx.log.error('could not rewind after abort; restarting the consumer', { err: seekErr });
    throw seekErr;
  }
}

/** Seeks `partition` to the group's last commit (or `uncommitted` when it has none), so what follows is read again. */
export async function rewindToCommit(ctx: RewindContext, topic: string, partition: number, uncommitted?: string): Promise<void> {
  ctx.consumer.seek({ topic, partition, offset: await committedOffset(ctx.admin, ctx.groupId, topic, partition, uncommitted) });
}
