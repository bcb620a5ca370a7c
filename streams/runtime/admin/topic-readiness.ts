/**
 * Waiting for topic changes to take effect on the broker. Right after CreateTopics the
 * broker's metadata can still answer UNKNOWN_TOPIC_OR_PARTITION for a moment (seen on the
 * single-node KRaft stack under load), and kafkajs' `waitForLeaders` only retries
 * LEADER_NOT_AVAILABLE, so it fails instead of waiting; after DeleteTopics a topic stays
 * listed for a moment. Both waits poll metadata until the change is visible.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

const TRANSIENT = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);
const DEFAULT_TIMEOUT_MS = 30_000;

/** Polls `pending` (what is still not done, or null when done) until done; throws TOPIC_NOT_READY (retriable) after `timeoutMs`. */
async function pollTopics(topics: readonly string[], pending: () => Promise<string | null>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await pending();
    if (left === null) return;
    if (Date.now() > deadline) {
      throw new FmeaflowError(ErrorCodes.TOPIC_NOT_READY, `topics ${topics.join(', ')}: ${what} after ${timeoutMs / 1000}s (${left})`, { retriable: true, details: { topics: [...topics] } });
    }
    await delay(100);
  }
}

/** Resolves once every partition of `topics` has a leader. */
export async function waitForTopicLeaders(admin: Admin, topics: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  if (topics.length === 0) return;
  await pollTopics(topics, async () => {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [...topics] });
      const waiting = md.topics.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0)).map((t) => t.name);
      return waiting.length === 0 && md.topics.length === topics.length ? null : `no leader yet for ${waiting.join(', ') || 'some topics'}`;
    } catch (err) {
      const type = (err as { type?: string }).type ?? '';
      if (!TRANSIENT.has(type)) throw err;
      return type;
    }
  }, 'no partition leaders', timeoutMs);
}

/** Resolves once the broker no longer lists `topics`, so a worker started right after does not find a half-deleted one. */
export async function waitForTopicsGone(admin: Admin, topics: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  if (topics.length === 0) return;
  await pollTopics(topics, async () => {
    const listed = new Set(await admin.listTopics());
    const left = topics.filter((t) => listed.has(t));
    return left.length === 0 ? null : `still listed: ${left.join(', ')}`;
  }, 'still listed after deletion', timeoutMs);
}
