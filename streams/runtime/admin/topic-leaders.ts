/**
 * Waiting for new topics to be usable. Right after CreateTopics the broker's metadata can
 * still answer UNKNOWN_TOPIC_OR_PARTITION for a moment (seen on the single-node KRaft stack
 * under load), and kafkajs' `waitForLeaders` only retries LEADER_NOT_AVAILABLE, so it fails
 * instead of waiting. This polls metadata until every partition has a leader.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

const TRANSIENT = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

/** Resolves once every partition of `topics` has a leader; throws a retriable error after `timeoutMs`. */
export async function waitForTopicLeaders(admin: Admin, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  if (topics.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [...topics] });
      const waiting = md.topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
      if (waiting.length === 0 && md.topics.length === topics.length) return;
      last = `no leader yet for ${waiting.join(', ') || 'some topics'}`;
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (!TRANSIENT.has(type)) throw err;
      last = type;
    }
    if (Date.now() > deadline) {
      throw new FmeaflowError(ErrorCodes.TOPIC_CONFIG_DRIFT, `topics ${topics.join(', ')} have no partition leaders ${timeoutMs / 1000}s after creation (${last})`, { retriable: true, details: { topics: [...topics] } });
    }
    await delay(100);
  }
}
