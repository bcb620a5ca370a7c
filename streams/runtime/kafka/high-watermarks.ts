/**
 * High watermarks (read_uncommitted end offsets) of whole topics.
 *
 * kafkajs' admin lists offsets read_committed only, which answers the last stable offset.
 * Right after a transactional producer's commit returns, the broker may not have written
 * the commit marker to the partition yet (the coordinator answers EndTxn once PREPARE_COMMIT
 * is in its log and writes markers afterwards), so the last stable offset can still stop
 * short of the committed record: measured here, 52 of 200 commits on the local broker. A
 * read-your-writes wait built on it would return before the record is readable. The high
 * watermark always covers the record; a read_committed consumer's position passes it only
 * once the marker is written, which is exactly the moment the record becomes visible.
 *
 * kafkajs 2.2.4 does not expose the isolation level of admin requests, so this builds a
 * kafkajs cluster (its own connection pool) through the client's cluster factory with
 * read_uncommitted. The factory is private API; the version is pinned in package-lock.json
 * and the constructor fails loudly if it is missing instead of silently using the LSO.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { KafkaClient } from './client.ts';

const READ_UNCOMMITTED = 0;

interface PartitionOffset {
  readonly partition: number;
  readonly offset: string;
}

/** The subset of kafkajs' internal Cluster this module uses. */
interface KafkajsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number }>;
  fetchTopicsOffset(topics: Array<{ topic: string; fromBeginning: boolean; partitions: Array<{ partition: number }> }>): Promise<Array<{ topic: string; partitions: PartitionOffset[] }>>;
}

type ClusterFactory = (opts: { allowAutoTopicCreation: boolean; isolationLevel: number }) => KafkajsCluster;

function clusterFactory(kafka: KafkaClient): ClusterFactory {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  const factory = sym === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[sym];
  if (typeof factory !== 'function') {
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, 'this kafkajs version has no cluster factory; high watermarks need kafkajs 2.2.x (see package-lock.json)', { retriable: false });
  }
  return factory as ClusterFactory;
}

/** Lists high watermarks over a private read_uncommitted connection. */
export class HighWatermarks {
  private readonly cluster: KafkajsCluster;
  private connected = false;

  constructor(kafka: KafkaClient) {
    this.cluster = clusterFactory(kafka)({ allowAutoTopicCreation: false, isolationLevel: READ_UNCOMMITTED });
  }

  async connect(): Promise<void> {
    await this.cluster.connect();
    this.connected = true;
  }

  /** Log start (`low`) and high watermark (`high`) per partition, keyed by topic. */
  async fetch(topics: readonly string[]): Promise<Map<string, Array<{ partition: number; low: bigint; high: bigint }>>> {
    await this.cluster.addMultipleTargetTopics([...topics]);
    await this.cluster.refreshMetadataIfNecessary();
    const request = (fromBeginning: boolean) => topics.map((topic) => ({
      topic,
      fromBeginning,
      partitions: this.cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId })),
    }));
    const [highs, lows] = await Promise.all([this.cluster.fetchTopicsOffset(request(false)), this.cluster.fetchTopicsOffset(request(true))]);
    const lowOf = new Map(lows.flatMap(({ topic, partitions }) => partitions.map((p) => [`${topic}:${p.partition}`, BigInt(p.offset)] as const)));
    const out = new Map<string, Array<{ partition: number; low: bigint; high: bigint }>>();
    for (const { topic, partitions } of highs) {
      out.set(topic, partitions.map((p) => ({ partition: p.partition, low: lowOf.get(`${topic}:${p.partition}`) ?? 0n, high: BigInt(p.offset) })));
    }
    return out;
  }

  async disconnect(): Promise<void> {
    if (this.connected) await this.cluster.disconnect();
    this.connected = false;
  }
}
