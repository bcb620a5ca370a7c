/**
 * What a processor runner is given, and what it tells after each commit.
 */
import type { GlobalTables, Processor } from '../../processors/processor.ts';
import type { SideTopics } from '../state/partition-task.ts';
import type { RuntimeMetrics } from '../observability/metrics.ts';
import type { KafkaClient } from './client.ts';
import type { TopicCodec } from './topic-codec.ts';
import type { GlobalsFreshness } from './global-table-reader.ts';
import type { DeliveryMode } from './committer.ts';

export interface RunnerConfig {
  readonly app: string;
  readonly instanceId: string;
  readonly processor: Processor<any, any>;
  readonly kafka: KafkaClient;
  readonly codec: TopicCodec;
  readonly metrics: RuntimeMetrics;
  readonly globals: GlobalTables;
  /** Makes global tables current before a batch is processed (read-your-writes across topics); none = no wait. */
  readonly globalsFreshness?: GlobalsFreshness;
  /** Bound on that wait (ms, default 5000); after it the batch proceeds and the timeout is counted. */
  readonly globalsTimeoutMs?: number;
  readonly mode: DeliveryMode;
  readonly side: SideTopics;
  readonly changelog: string;
  readonly sessionTimeoutMs?: number;
  /**
   * Partition batches processed at once, each in its partition's lane (default 1). More lets the partitions'
   * transaction round trips overlap instead of queueing; one partition's batches stay in order either way.
   */
  readonly partitionsInFlight?: number;
  /** Longest a partition's processed records wait for their commit (ms, default 0: every batch commits at once); see commit-schedule.ts. */
  readonly commitIntervalMs?: number;
  /** How often wall-clock timers are checked on idle partitions (ms, default 1000). */
  readonly wallClockTickMs?: number;
  /** Where a group without committed offsets starts: 'earliest' (default) or 'latest' (demos that ignore older runs). */
  readonly startFrom?: 'earliest' | 'latest';
}

/** Emitted after every successful commit. */
export interface CommitEvent {
  readonly processor: string;
  readonly topic: string;
  readonly partition: number;
  readonly records: number;
  /** Offset committed (next to read), or undefined for timer-only commits. */
  readonly nextOffset: string | undefined;
  /** When the batch reached the runner (Date.now()); the event itself is emitted right after the commit. */
  readonly startedMs: number;
}
