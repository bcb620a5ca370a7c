/**
 * Brings the whole engine up against a broker and registry: topics, schemas, the bundled FMEA
 * rules, and one worker running every processor of the topology. Shared by the demo command
 * and the end-to-end tests so both exercise exactly the same start-up path.
 */
import path from 'node:path';
import { publishRuleFiles } from './fmea/publish.ts';
import { expandRuleFiles } from './fmea/rule-files.ts';
import { prefixed, TOPIC_SPECS } from './topic-catalog.ts';
import { buildTopology, type TopologyTiming } from './topology.ts';
import { appResources, type AppResources } from './runtime/admin/app-resources.ts';
import { provisionTopics } from './runtime/admin/topic-provisioner.ts';
import { createKafka, type KafkaClient } from './runtime/kafka/client.ts';
import { runWorker, type Worker } from './runtime/kafka/worker.ts';
import { createSerde, type Serde } from './runtime/serde/serde.ts';
import { PROJECT_ROOT } from './config/project-root.ts';

export interface PipelineOptions {
  readonly app: string;
  readonly brokers: string[];
  readonly registryUrl: string;
  readonly timing?: TopologyTiming;
  /** Start new consumer groups at the end of the input topics (ignore earlier runs' records). */
  readonly fromLatest?: boolean;
  readonly rulesDir?: string;
  /** Suppression policy file (service catalog, alert rules); default config/suppression-policies.yaml. */
  readonly policiesFile?: string;
  /** CAN network file (default config/can-networks.yaml). */
  readonly canNetworkFile?: string;
  readonly metricsPort?: number;
  readonly log?: (message: string) => void;
}

export interface PipelineSession {
  readonly kafka: KafkaClient;
  readonly serde: Serde;
  readonly worker: Worker;
  /** The app's internal topics and consumer groups (what `fmeaflow reset` deletes). */
  readonly resources: AppResources;
  stop(): Promise<void>;
}

/** Provisions topics and schemas, publishes the rule files, and starts a worker with the full topology. */
export async function startPipeline(options: PipelineOptions): Promise<PipelineSession> {
  // The app id starts its groups, changelogs and transactional ids: in the deployment's namespace.
  const o = { ...options, app: prefixed(options.app) };
  const log = o.log ?? (() => {});
  const kafka = createKafka(`${o.app}-session`, o.brokers);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const report = await provisionTopics(admin, TOPIC_SPECS);
    log(`topics: ${report.created.length} created, ${report.existing.length} existing${report.drift.length ? `, ${report.drift.length} differ from the catalog` : ''}`);
  } finally {
    await admin.disconnect();
  }
  const serde = createSerde({ registryUrl: o.registryUrl, schemasDir: path.join(PROJECT_ROOT, 'schemas') });
  const { registered } = await serde.registerAll(TOPIC_SPECS.map((t) => ({ name: t.name, schema: t.schema })));
  log(`schemas: ${registered.size} registered under <topic>-value (BACKWARD)`);
  const rulesDir = o.rulesDir ?? path.join(PROJECT_ROOT, 'fmea-rules');
  const published = await publishRuleFiles(expandRuleFiles([rulesDir]), { brokers: o.brokers, registryUrl: o.registryUrl, publishedBy: o.app });
  log(`rules: published ${published.worksheets.join(', ')} to ${published.topic}`);
  const processors = buildTopology({ app: o.app, ...(o.timing ? { timing: o.timing } : {}), ...(o.policiesFile !== undefined ? { policiesFile: o.policiesFile } : {}), ...(o.canNetworkFile !== undefined ? { canNetworkFile: o.canNetworkFile } : {}) });
  const worker = await runWorker({
    app: o.app, processors, brokers: o.brokers, registryUrl: o.registryUrl, schemasDir: path.join(PROJECT_ROOT, 'schemas'),
    handleSignals: false, startFrom: o.fromLatest ? 'latest' : 'earliest', ...(o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {}),
  });
  log(`engine: ${processors.length} processors running (exactly-once)`);
  return { kafka, serde, worker, resources: appResources(o.app, processors), stop: () => worker.stop() };
}
