/**
 * `runWorker`: the Kafka runtime entry point. Registers schemas, creates internal topics
 * (changelogs, repartitions), loads global tables, then runs one consumer group per
 * processor with exactly-once transactions by default. Exactly-once is the default
 * because a crashed worker must neither lose nor double-count (counts, baselines and RPN
 * evidence are all sums); at-least-once trades that for ~fewer round trips per batch.
 */
import { hostname } from 'node:os';
import { EventEmitter } from 'node:events';
import type client from 'prom-client';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { Processor } from '../../processors/processor.ts';
import { DEFAULT_PARTITIONS, TOPIC_SPECS, Topics } from '../../topic-catalog.ts';
import { brokers as defaultBrokers } from './connection.ts';
import { brokerUnreachable, createKafka, probeBrokers } from './client.ts';
import { isBrokerUnreachable } from './kafka-errors.ts';
import { onRefused } from './refusal-guard.ts';
import { changelogTopic, ensureInternalTopics, isInternalTopic, partitionCounts } from './internal-topics.ts';
import { GlobalTableReader } from './global-table-reader.ts';
import { globalValidatorsOf } from '../state/global-table-set.ts';
import { ProcessorRunner } from './processor-runner.ts';
import type { CommitEvent } from './runner-config.ts';
import type { DeliveryMode } from './committer.ts';
import { TopicCodec } from './topic-codec.ts';
import { createSerde, type TopicSchemaBinding } from '../serde/serde.ts';
import { RuntimeMetrics } from '../observability/metrics.ts';
import { startMetricsServer } from '../observability/metrics-server.ts';
import { startTracing } from '../observability/tracing.ts';
import { logger } from '../observability/logger.ts';

export type { DeliveryMode, CommitEvent };

export interface WorkerOptions {
  /** Application id: prefix of consumer groups, changelogs and transactional ids. */
  readonly app: string;
  readonly processors: readonly Processor<any, any>[];
  /** Default 'exactly-once'. */
  readonly mode?: DeliveryMode;
  /** Stable per worker instance (fences a crashed predecessor's transactions); default the host name. */
  readonly instanceId?: string;
  readonly brokers?: readonly string[];
  readonly registryUrl?: string;
  readonly schemasDir?: string;
  /** Topic → schema bindings; default the topic catalog. Topics not listed are JSON-encoded. */
  readonly catalog?: readonly TopicSchemaBinding[];
  readonly lateTopic?: string;
  readonly dlqTopic?: string;
  /** Partitions of repartition topics the worker creates (default DEFAULT_PARTITIONS). */
  readonly repartitionPartitions?: number;
  /** Serve /metrics on this port (0 = any free port); no server when undefined. */
  readonly metricsPort?: number;
  /** Address /metrics binds to (default 127.0.0.1). */
  readonly metricsHost?: string;
  readonly metricsRegistry?: client.Registry;
  /** Start the OTel SDK even without OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly tracing?: boolean;
  /** Stop gracefully on SIGTERM/SIGINT (default true). */
  readonly handleSignals?: boolean;
  /** Runs on SIGTERM/SIGINT before the worker stops (e.g. to close what the caller started next to it). */
  readonly beforeSignalStop?: () => Promise<void>;
  readonly sessionTimeoutMs?: number;
  readonly wallClockTickMs?: number;
  /** Longest a partition's processed records wait for their commit (ms, default 0: every batch commits at once). */
  readonly commitIntervalMs?: number;
  /** Partition batches of one processor processed at once (default 1; see RunnerConfig.partitionsInFlight). */
  readonly partitionsInFlight?: number;
  /** Longest a batch waits for the global tables it reads to catch up (ms, default 5000). */
  readonly globalsTimeoutMs?: number;
  /** Where new consumer groups start: 'earliest' (default: process everything retained) or 'latest'. */
  readonly startFrom?: 'earliest' | 'latest';
}

export interface Worker extends EventEmitter {
  readonly metrics: RuntimeMetrics;
  readonly metricsPort: number | undefined;
  /** Where /metrics is served, when it is. */
  readonly metricsUrl: string | undefined;
  readonly runners: readonly ProcessorRunner[];
  /** Leaves the groups after finishing (or aborting) open transactions. */
  stop(): Promise<void>;
}

/** Starts a worker running `processors`; resolves once every consumer group is joined and running. */
export async function runWorker(o: WorkerOptions): Promise<Worker> {
  const log = logger('worker', { app: o.app });
  const mode = o.mode ?? 'exactly-once';
  const instanceId = o.instanceId ?? hostname();
  const brokerList = o.brokers ?? defaultBrokers();
  const side = { late: o.lateTopic ?? Topics.late, dlq: o.dlqTopic ?? Topics.dlq };
  if (o.processors.length === 0) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, 'runWorker needs at least one processor');
  const names = new Set<string>();
  for (const p of o.processors) {
    if (names.has(p.name)) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `two processors are named ${p.name}; names must be unique (they name consumer groups and changelogs)`);
    names.add(p.name);
  }
  // Signals are handled from the start: a SIGTERM during startup (joins, restores) still exits cleanly.
  let stopFn: (() => Promise<void>) | undefined;
  if (o.handleSignals ?? true) {
    const onSignal = (sig: string): void => {
      log.info('signal received; finishing the open transaction and leaving the group', { signal: sig });
      void (o.beforeSignalStop?.() ?? Promise.resolve())
        .catch((err: unknown) => log.warn('shutdown hook failed; stopping the worker anyway', { err }))
        .then(() => stopFn?.())
        .then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  await probeBrokers(brokerList);
  const shutdownTracing = await startTracing(o.app, o.tracing ?? false);

  // Schemas: register what this worker reads or writes; side topics use the catalog's schemas.
  const catalog = [...(o.catalog ?? TOPIC_SPECS.map((t) => ({ name: t.name, schema: t.schema })))];
  const bySchemaOf = (topic: string): string | undefined => TOPIC_SPECS.find((t) => t.name === topic)?.schema;
  if (!catalog.some((b) => b.name === side.late)) catalog.push({ name: side.late, schema: bySchemaOf(Topics.late)! });
  if (!catalog.some((b) => b.name === side.dlq)) catalog.push({ name: side.dlq, schema: bySchemaOf(Topics.dlq)! });
  const used = new Set<string>([side.late, side.dlq, ...o.processors.flatMap((p) => [...p.inputTopics, ...p.outputTopics, ...(p.globalTopics ?? [])])]);
  const metrics = new RuntimeMetrics(o.metricsRegistry);
  const serde = createSerde({
    registryUrl: o.registryUrl,
    schemasDir: o.schemasDir,
    registryLookup: { onError: (e) => metrics.registryErrors.inc({ kind: e.kind, cached: String(e.cached) }) },
  });
  await serde.registerAll(catalog.filter((b) => used.has(b.name)));
  for (const t of used) if (!serde.knows(t) && !isInternalTopic(t)) log.warn('topic has no schema in the catalog; its values are JSON-encoded', { topic: t });
  const codec = new TopicCodec(serde);

  const kafka = createKafka(`${o.app}-${instanceId}`, brokerList);
  // A consumer refused while running (a group ACL missing) would otherwise leave a worker that runs and reads nothing.
  onRefused(kafka, (err) => {
    log.error('refused by the broker; stopping', { err: err.message });
    if (!(o.handleSignals ?? true)) return;
    process.stderr.write(`fmeaflow: ${err.message} [${err.code}]\n`);
    void (stopFn?.() ?? Promise.resolve()).finally(() => process.exit(1));
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    if (isBrokerUnreachable(err)) throw brokerUnreachable(brokerList, err);
    throw err;
  }
  try {
    const repartition = [...used].filter((t) => t.endsWith('-repartition'));
    await ensureInternalTopics(admin, repartition.map((topic) => ({ topic, partitions: o.repartitionPartitions ?? DEFAULT_PARTITIONS, compact: false })));
    const inputs = [...new Set(o.processors.flatMap((p) => p.inputTopics))];
    const counts = await partitionCounts(admin, inputs);
    const changelogs: { topic: string; partitions: number; compact: boolean }[] = [];
    for (const p of o.processors) {
      const pc = p.inputTopics.map((t) => counts.get(t));
      if (pc.some((n) => n === undefined)) {
        throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `processor ${p.name} reads ${p.inputTopics.filter((_, i) => pc[i] === undefined).join(', ')} which does not exist; create topics first (npx tsx streams/cli.ts topics)`);
      }
      if (new Set(pc).size > 1) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `processor ${p.name} reads topics with different partition counts (${p.inputTopics.map((t, i) => `${t}=${pc[i]}`).join(', ')}); its inputs must be co-partitioned`);
      changelogs.push({ topic: changelogTopic(o.app, p.store), partitions: pc[0]!, compact: true });
    }
    await ensureInternalTopics(admin, changelogs);
  } finally {
    await admin.disconnect();
  }

  const globalTopics = [...new Set(o.processors.flatMap((p) => p.globalTopics ?? []))];
  const globals = new GlobalTableReader(kafka, codec, globalTopics, metrics.registry, globalValidatorsOf(o.processors), o.app);
  await globals.start();

  const emitter = new EventEmitter();
  const runners = o.processors.map(
    (p) =>
      new ProcessorRunner({ app: o.app, instanceId, processor: p, kafka, codec, metrics, globals: globals.tables, globalsFreshness: globals, globalsTimeoutMs: o.globalsTimeoutMs, mode, side, changelog: changelogTopic(o.app, p.store), sessionTimeoutMs: o.sessionTimeoutMs, wallClockTickMs: o.wallClockTickMs, commitIntervalMs: o.commitIntervalMs, partitionsInFlight: o.partitionsInFlight, startFrom: o.startFrom }),
  );
  for (const r of runners) {
    r.on('committed', (e: CommitEvent) => emitter.emit('committed', e));
    r.on('restored', (e: unknown) => emitter.emit('restored', e));
    r.on('committing', (e: unknown) => emitter.emit('committing', e));
    r.on('aborted', (e: unknown) => emitter.emit('aborted', e));
  }
  for (const r of runners) await r.start();
  const server = o.metricsPort === undefined ? undefined : await startMetricsServer(metrics.registry, o.metricsPort, { host: o.metricsHost ?? '127.0.0.1' });
  log.info('worker running', { instanceId, mode, processors: o.processors.map((p) => p.name), metricsUrl: server?.url });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      log.info('stopping worker');
      await Promise.all(runners.map((r) => r.stop()));
      await globals.stop();
      await server?.close();
      await shutdownTracing?.();
      log.info('worker stopped');
    })());
  stopFn = stop;
  return Object.assign(emitter, { metrics, metricsPort: server?.port, metricsUrl: server?.url, runners, stop });
}
