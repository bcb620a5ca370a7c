/**
 * `fmeaflow worker`: runs the topology's processors under the Kafka runtime until
 * SIGTERM/SIGINT. The topology module names the processors; this command only chooses
 * how they run (delivery mode, instance id, metrics port, tracing).
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { prefixed } from '../topic-catalog.ts';
import type { Processor } from '../processors/processor.ts';
import { parseDurationMs } from '../processors/fmea/duration.ts';
import { DRIFT_DETECTORS, type DriftDetectorChoice } from '../processors/drift/drift-config.ts';

type ProcessorList = readonly Processor<any, any>[];

/** Time scales a worker can run the topology at (streams/topology.ts FLEET_TIMING / DRIVE_TIMING). */
export const TIMINGS = ['fleet', 'drive'] as const;
export type TimingName = (typeof TIMINGS)[number];

/** Series groupings of the topology (streams/topology.ts GROUPINGS), checked before a topology module is imported. */
export const GROUPING_CHOICES = ['vehicle', 'fleet', 'both'] as const;

/** Checks a --metric-grouping / --span-grouping value; throws CLI_BAD_ARGUMENT saying what to use instead. */
export function parseGrouping(flag: string, value: string): (typeof GROUPING_CHOICES)[number] {
  if ((GROUPING_CHOICES as readonly string[]).includes(value)) return value as (typeof GROUPING_CHOICES)[number];
  throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `${flag} ${value}: use vehicle (one series per vehicle), fleet (one series across the fleet, repartitioned by series) or both, e.g. ${flag} both`);
}

/** `--drift-detector`: one of DRIFT_DETECTORS, or a one-line CLI_BAD_ARGUMENT. */
export function parseDriftDetector(v: string): DriftDetectorChoice {
  if ((DRIFT_DETECTORS as readonly string[]).includes(v)) return v as DriftDetectorChoice;
  throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--drift-detector ${JSON.stringify(v.slice(0, 40))}: use adaptive (default) or field-rule`);
}

/** The topology options (streams/topology.ts TopologyOptions) the worker's flags set. */
export function topologyOptionsOf(opts: { policies?: string; canNetwork?: string; driftDetector?: string; metricGrouping: string; spanGrouping: string; maxSeries?: string; maxSeriesPerName?: string; maxVehicles?: string }): Record<string, unknown> {
  const limit = (flag: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `${flag} ${v}: give a positive whole number, e.g. ${flag} 50000`);
    return n;
  };
  const seriesLimits = Object.fromEntries(Object.entries({
    maxGroups: limit('--max-series', opts.maxSeries), maxGroupsPerName: limit('--max-series-per-name', opts.maxSeriesPerName), maxVehicles: limit('--max-vehicles', opts.maxVehicles),
  }).filter(([, v]) => v !== undefined));
  return {
    metricGrouping: parseGrouping('--metric-grouping', opts.metricGrouping),
    spanGrouping: parseGrouping('--span-grouping', opts.spanGrouping),
    ...(opts.policies !== undefined ? { policiesFile: opts.policies } : {}),
    ...(Object.keys(seriesLimits).length ? { seriesLimits } : {}),
    ...(opts.canNetwork !== undefined ? { canNetworkFile: opts.canNetwork } : {}),
    ...(opts.driftDetector !== undefined ? { driftDetector: parseDriftDetector(opts.driftDetector) } : {}),
  };
}

/** Finds the processor list a topology module exports (`processors`, `topology.processors`, or default; arrays or factories taking `{ app, timing }`). */
export async function loadProcessors(file: string, app: string, timing: TimingName = 'fleet', extra: Record<string, unknown> = {}): Promise<ProcessorList> {
  const path = resolve(file);
  if (!existsSync(path)) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--topology ${file}: no such file (the default is streams/topology.ts)`);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const candidates = [mod.processors, (mod.topology as Record<string, unknown> | undefined)?.processors, mod.default];
  for (const c of candidates) {
    const v = typeof c === 'function' ? await (c as (o: { app: string; timing: TimingName }) => unknown)({ ...extra, app, timing }) : c;
    if (Array.isArray(v) && v.length > 0) return v as ProcessorList;
  }
  throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `${file} exports no processors: export \`processors\` (an array, or a function ({ app }) => Processor[])`);
}

/** The trainer's knobs from the worker's options; a bad value is a CLI error saying what to give instead. */
export function embeddingTrainerOptions(opts: { embeddingEvery: string; embeddingEpochs: string; embeddingTemplates: string }): { intervalMs: number; maxTemplates: number; training: { epochs: number } } {
  const intervalMs = parseDurationMs(opts.embeddingEvery);
  if (intervalMs === undefined || intervalMs < 1000) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--embedding-every ${opts.embeddingEvery}: give a duration of at least 1s (e.g. --embedding-every 5m)`);
  const epochs = Number(opts.embeddingEpochs);
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 100) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--embedding-epochs ${opts.embeddingEpochs}: give a whole number 1-100 (e.g. --embedding-epochs 2)`);
  const maxTemplates = Number(opts.embeddingTemplates);
  if (!Number.isInteger(maxTemplates) || maxTemplates < 8 || maxTemplates > 5000) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--embedding-templates ${opts.embeddingTemplates}: give a whole number 8-5000 (e.g. --embedding-templates 200)`);
  return { intervalMs, maxTemplates, training: { epochs } };
}

/** Registers the `worker` command. */
export function register(program: Command): void {
  program
    .command('worker')
    .description('Run the stream processors on Kafka (exactly-once by default) until SIGTERM/SIGINT')
    .option('--app <id>', 'application id: prefix of consumer groups, changelogs and transactional ids', 'fmeaflow')
    .option('--topic-prefix <prefix>', 'start of every topic, group and transactional id on a shared cluster (default FMEAFLOW_TOPIC_PREFIX or fmeaflow.topic.prefix in FMEAFLOW_KAFKA_PROPERTIES)')
    .option('--mode <mode>', 'exactly-once | at-least-once', 'exactly-once')
    .option('--partitions-in-flight <n>', 'partition batches of one processor processed at once (their commits overlap; one partition stays in order)', '1')
    .option('--commit-interval-ms <ms>', 'longest processed records wait for their commit (0 = every fetched batch commits at once: lowest latency; more = fewer, larger transactions)', '0')
    .option('--instance-id <id>', 'name of this worker in logs and client ids (transactions are fenced per input partition, so it need not be unique or stable); default: host name')
    .option('--metrics-port <port>', 'serve Prometheus /metrics on this port (0 = any free port)')
    .option('--metrics-host <host>', 'address /metrics binds to (0.0.0.0 inside a container; then name the hosts it is reached under in FMEAFLOW_HTTP_ALLOWED_HOSTS)', '127.0.0.1')
    .option('--topology <file>', 'module exporting the processors', 'streams/topology.ts')
    .option('--timing <scale>', 'fleet (1-minute series windows, 30 warm-up windows) | drive (5-second windows: for the bundled two-minute drives)', 'fleet')
    .option('--policies <file>', 'suppression policy file: policies, service catalog, alert rules (default config/suppression-policies.yaml)')
    .option('--can-network <file>', 'CAN networks per vehicle model: DBCs, bitrates, periodic messages (default config/can-networks.yaml; other models get a learned schedule)')
    .option('--drift-detector <d>', 'adaptive (default: quiet on healthy series, see bench/RESULTS.md) | field-rule (EWMA α = 0.2, |z| > 3 for 2 consecutive windows)')
    .option('--metric-grouping <g>', 'metric series: vehicle (one per vehicle) | fleet (one across the fleet) | both', 'vehicle')
    .option('--span-grouping <g>', 'span latency/error-rate series: vehicle | fleet | both', 'fleet')
    .option('--max-series <n>', 'series per partition of each series processor; records of further series go to the DLQ as STATE_LIMIT_REACHED (default 50000)')
    .option('--max-series-per-name <n>', 'label sets of one series name per vehicle (fleet series: per partition) (default 1000)')
    .option('--max-vehicles <n>', 'vehicles with series per partition (default 10000)')
    .option('--only <names>', 'comma-separated processor names to run (default: all)')
    .option('--tracing', 'start the OpenTelemetry SDK even without OTEL_EXPORTER_OTLP_ENDPOINT')
    .option('--live-port <port>', 'serve the live web view (ranked actions, clusters, drift, releases) on this port')
    .option('--live-host <host>', 'address the live view binds to (0.0.0.0 inside a container)', '127.0.0.1')
    // Off by default: on Loghub-2k the learned codes lowered clustered grouping accuracy (bench/RESULTS.md, issue 18).
    .option('--log-embeddings', 'train the LSTM log-template encoder in the background and add its codes to the log vectors')
    .option('--no-log-embeddings', 'log vectors stay TF-IDF only (the default)')
    .option('--embedding-every <duration>', 'how often owned log-cluster partitions are checked for retraining (e.g. 5m, 30s)', '5m')
    .option('--embedding-epochs <n>', 'training epochs per model (more = better codes, more CPU in the trainer thread)', '2')
    .option('--embedding-templates <n>', 'most recently seen templates a training uses', '200')
    .action(async (opts: { app: string; mode: string; commitIntervalMs: string; partitionsInFlight: string; instanceId?: string; metricsPort?: string; metricsHost: string; topology: string; timing: string; policies?: string; canNetwork?: string; driftDetector?: string; metricGrouping: string; spanGrouping: string; maxSeries?: string; maxSeriesPerName?: string; maxVehicles?: string; only?: string; tracing?: boolean; livePort?: string; liveHost: string; logEmbeddings?: boolean; embeddingEvery: string; embeddingEpochs: string; embeddingTemplates: string }) => {
      // The app id starts its groups, changelogs and transactional ids: in the deployment's namespace.
      opts.app = prefixed(opts.app);
      if (opts.mode !== 'exactly-once' && opts.mode !== 'at-least-once') {
        throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--mode ${opts.mode}: use exactly-once (default) or at-least-once`);
      }
      const commitIntervalMs = Number(opts.commitIntervalMs);
      if (!/^\d+$/.test(opts.commitIntervalMs) || !Number.isSafeInteger(commitIntervalMs)) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--commit-interval-ms ${JSON.stringify(opts.commitIntervalMs.slice(0, 40))}: give a whole number of milliseconds ≥ 0 (e.g. --commit-interval-ms 100)`);
      const partitionsInFlight = Number(opts.partitionsInFlight);
      if (!/^\d+$/.test(opts.partitionsInFlight) || partitionsInFlight < 1 || partitionsInFlight > 1024) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--partitions-in-flight ${JSON.stringify(opts.partitionsInFlight.slice(0, 40))}: give a whole number from 1 to 1024 (e.g. --partitions-in-flight 4)`);
      let metricsPort: number | undefined;
      if (opts.metricsPort !== undefined) {
        metricsPort = Number(opts.metricsPort);
        if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--metrics-port ${opts.metricsPort}: give a port number 0-65535 (e.g. --metrics-port 9464)`);
      }
      if (!(TIMINGS as readonly string[]).includes(opts.timing)) {
        throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--timing ${opts.timing}: use fleet (default, real fleets) or drive (the bundled two-minute drives)`);
      }
      // The trainer exists before the topology (the log-cluster processor reads its models) and starts after the worker.
      const { Registry } = await import('prom-client');
      const registry = new Registry();
      const trainerOptions = embeddingTrainerOptions(opts);
      const embeddings = opts.logEmbeddings === true ? (await import('../runtime/logs/log-embeddings.ts')).createEmbeddingTrainer(trainerOptions, registry) : undefined;
      let processors = await loadProcessors(opts.topology, opts.app, opts.timing as TimingName, { ...topologyOptionsOf(opts), ...(embeddings ? { logEmbeddings: embeddings } : {}) });
      if (opts.only) {
        const want = opts.only.split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = want.filter((n) => !processors.some((p) => p.name === n));
        if (unknown.length > 0) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--only: unknown processor(s) ${unknown.join(', ')}; available: ${processors.map((p) => p.name).join(', ')}`);
        processors = processors.filter((p) => want.includes(p.name));
      }
      const { runWorker } = await import('../runtime/kafka/worker.ts');
      // What this command starts beside the worker, closed on SIGTERM/SIGINT before the worker leaves its groups.
      const closers: Array<() => Promise<void>> = [];
      const beforeSignalStop = async (): Promise<void> => {
        for (const close of closers.reverse()) await close().catch(() => undefined);
      };
      const w = await runWorker({ app: opts.app, processors, mode: opts.mode, commitIntervalMs, partitionsInFlight, instanceId: opts.instanceId, metricsPort, metricsHost: opts.metricsHost, metricsRegistry: registry, tracing: opts.tracing ?? false, handleSignals: true, beforeSignalStop });
      if (processors.some((p) => p.name === 'log-clusters')) {
        const { logClusterOwnership, startLogClusterSidecar } = await import('../runtime/logs/log-embeddings.ts');
        // Closed on a signal too: the trainer's thread and the changelog follower's group must not outlive the worker.
        closers.push(await startLogClusterSidecar({ app: opts.app, metrics: w.metrics, ownership: logClusterOwnership(w, opts.app), ...(embeddings ? { trainer: embeddings } : {}) }));
      }
      if (w.metricsUrl !== undefined) process.stderr.write(`fmeaflow worker: metrics on ${w.metricsUrl}\n`);
      if (opts.livePort !== undefined) {
        const port = Number(opts.livePort);
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--live-port ${opts.livePort}: give a port number 0-65535 (e.g. --live-port 8080)`);
        const { LiveState, LIVE_TOPICS } = await import('../runtime/live/live-state.ts');
        const { startLiveServer } = await import('../runtime/live/live-server.ts');
        const { followOutputs } = await import('../runtime/live/output-feed.ts');
        const { createKafka } = await import('../runtime/kafka/client.ts');
        const { createSerde } = await import('../runtime/serde/serde.ts');
        const live = new LiveState();
        const feed = await followOutputs(createKafka(`${opts.app}-live`), createSerde(), LIVE_TOPICS, (r) => live.apply(r.topic, r.key, r.value), { fromBeginning: true, groupPrefix: opts.app });
        // The feed's consumer group is per run; stopping it deletes the group instead of leaving one per worker start.
        closers.push(() => feed.stop());
        const server = await startLiveServer(live, port, opts.liveHost);
        process.stderr.write(`fmeaflow worker: live view on ${server.url}\n`);
      }
      // Keep running until a signal stops the worker (runWorker installs the handlers).
      await new Promise<never>(() => undefined);
    });
}
