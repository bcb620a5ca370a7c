/**
 * `fmeaflow demo`: the main job. Ensures a broker and registry (the local stack unless
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL are set), starts the engine, replays the bundled drives as
 * one fleet and shows the ranked actions as they appear. Ctrl-C stops what it started.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { followOutputs } from '../runtime/live/output-feed.ts';
import { LIVE_TOPICS, LiveState } from '../runtime/live/live-state.ts';
import { startLiveServer, type LiveServer } from '../runtime/live/live-server.ts';
import { deleteAppResources } from '../runtime/admin/app-resources.ts';
import { loadPolicyFile } from '../config/policy-file-loader.ts';
import { loadCanNetworkFile } from '../can-network.ts';
import { startPipeline, type PipelineSession } from '../pipeline-session.ts';
import { PROJECT_ROOT } from '../config/project-root.ts';
import { stackDown, stackUp } from '../runtime/stack/stack.ts';
import { DRIVE_TIMING } from '../topology.ts';
import { readManifest } from '../../vehicle-producer/drive/drive-manifest.ts';
import { replayDrives } from '../../vehicle-producer/publish/replay.ts';

interface DemoOptions {
  exitAfterReplay?: boolean;
  speed: string;
  fanOut: string;
  drives?: string;
  livePort?: string;
  settleSeconds: string;
  keepStack?: boolean;
  keepState?: boolean;
  policies?: string;
  canNetwork?: string;
}

function parseSpeed(s: string): number | 'max' {
  if (s === 'max') return 'max';
  const n = Number(s);
  if (!(n > 0)) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--speed ${s}: give a real-time multiplier > 0 (e.g. --speed 4) or "max"`);
  return n;
}

function parsePositiveInt(flag: string, s: string, example: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `${flag} ${s}: give a whole number (e.g. ${flag} ${example})`);
  return n;
}

/** Adds the `demo` command. */
export function register(program: Command): void {
  program
    .command('demo')
    .description('start broker + registry if needed, run the engine, replay the bundled drives as a fleet, show the ranked actions live')
    .option('--exit-after-replay', 'stop by itself once the replay is processed (for CI and scripts)')
    .option('--speed <x|max>', 'replay speed: real-time multiplier or "max"', '4')
    .option('--fan-out <n>', 'vehicles per recorded vehicle', '1')
    .option('--drives <names>', 'comma-separated drive names from drives/manifest.json (default: all)')
    .option('--live-port <port>', 'also serve the live web view on this port (127.0.0.1)')
    .option('--policies <file>', 'suppression policy file: policies, service catalog, alert rules (default config/suppression-policies.yaml)')
    .option('--can-network <file>', 'CAN networks per vehicle model for the demo\'s engine (default config/can-networks.yaml)')
    .option('--settle-seconds <s>', 'after the replay, wait until no new output for this long', '8')
    .option('--keep-stack', 'leave a broker/registry that the demo started running on exit')
    .option('--keep-state', 'keep the demo app\'s changelogs, repartition topics and consumer groups on exit (deleted by default)')
    .action(async (opts: DemoOptions) => runDemo(opts));
}

/** Deletes the demo app's internal topics and groups: each run has a fresh app id, so they would pile up on the broker. */
async function removeAppState(session: PipelineSession, say: (m: string) => void): Promise<void> {
  const admin = session.kafka.admin();
  try {
    await admin.connect();
    const r = await deleteAppResources(admin, session.resources);
    say(`removed the demo's state: ${r.deletedTopics.length} internal topics, ${r.deletedGroups.length} consumer groups (--keep-state keeps them)`);
  } catch (err) {
    say(`could not remove the demo's state (fmeaflow reset --app ${session.resources.app} retries): ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const speed = parseSpeed(opts.speed);
  const fanOut = parsePositiveInt('--fan-out', opts.fanOut, '3');
  const settleMs = parsePositiveInt('--settle-seconds', opts.settleSeconds, '8') * 1000;
  const livePort = opts.livePort === undefined ? undefined : parsePositiveInt('--live-port', opts.livePort, '8080');
  const manifest = readManifest(path.join(PROJECT_ROOT, 'drives'));
  const known = manifest.drives.map((d) => d.name);
  const names = opts.drives ? opts.drives.split(',').map((s) => s.trim()).filter(Boolean) : known;
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0 || names.length === 0) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--drives: unknown drive(s) ${unknown.join(', ') || '(none given)'}; available: ${known.join(', ')}`);
  // Before anything is started: a bad policy file is one line naming file, line and field, not a half-started stack.
  if (opts.policies !== undefined) loadPolicyFile(opts.policies);
  if (opts.canNetwork !== undefined) loadCanNetworkFile(opts.canNetwork);

  const say = (m: string): void => void process.stderr.write(`demo: ${m}\n`);
  // The engine's JSON logs would scroll the table away; FMEAFLOW_LOG_LEVEL=info brings them back.
  process.env.FMEAFLOW_LOG_LEVEL ??= 'error';
  const tty = Boolean(process.stdout.isTTY) && !opts.exitAfterReplay;
  // Everything started so far, so that Ctrl-C or an error at any step stops exactly that (the broker and
  // registry are detached processes: a demo that died mid-start would otherwise leave them running).
  let stack: Awaited<ReturnType<typeof stackUp>> | undefined;
  let session: Awaited<ReturnType<typeof startPipeline>> | undefined;
  let feed: Awaited<ReturnType<typeof followOutputs>> | undefined;
  let server: LiveServer | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      if (ticker) clearInterval(ticker);
      await feed?.stop().catch(() => {});
      await session?.stop().catch(() => {});
      if (session && !opts.keepState) await removeAppState(session, say);
      await server?.close();
      if (stack && (stack.startedKafka || stack.startedRegistry) && !opts.keepStack) await stackDown(say);
    })());
  const onSignal = (): void => {
    say('stopping …');
    void shutdown().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runStarted();
  } catch (err) {
    await shutdown();
    throw err;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  async function runStarted(): Promise<void> {
  stack = await stackUp(say);
  const app = `fmeaflow-demo-${Date.now().toString(36)}`;
  session = await startPipeline({ app, brokers: stack.brokers, registryUrl: stack.registryUrl, timing: DRIVE_TIMING, fromLatest: true, log: say, ...(opts.policies !== undefined ? { policiesFile: opts.policies } : {}), ...(opts.canNetwork !== undefined ? { canNetworkFile: opts.canNetwork } : {}) });
  const live = new LiveState();
  let lastOutputAt = Date.now();
  let dirty = false;
  feed = await followOutputs(session.kafka, session.serde, LIVE_TOPICS, (r) => {
    live.apply(r.topic, r.key, r.value);
    lastOutputAt = Date.now();
    dirty = true;
  });
  if (livePort !== undefined) {
    server = await startLiveServer(live, livePort);
    say(`live view on ${server.url}`);
  }
  const render = (): void => {
    if (!dirty) return;
    dirty = false;
    if (tty) process.stdout.write(`\x1b[2J\x1b[H${live.board.render()}\n`);
  };
  ticker = setInterval(render, 500);

  say(`replaying ${names.join(', ')} (speed ${speed}, fan-out ${fanOut}) …`);
  const result = await replayDrives({
    drives: names.map((n) => path.join(PROJECT_ROOT, 'drives', n)), brokers: stack.brokers, registryUrl: stack.registryUrl, speed, fanOut,
    onProgress: (p) => {
      if (process.stderr.isTTY && p.fraction !== null) process.stderr.write(`\r  replay ${'█'.repeat(Math.round(p.fraction * 30)).padEnd(30, '░')} ${Math.round(p.fraction * 100)}%  ${p.records} records`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const produced = Object.values(result.records).reduce((a, b) => a + b, 0);
  say(`replay done: ${produced} records (${result.frames} CAN frames) in ${(result.elapsedMs / 1000).toFixed(1)} s; waiting for the engine to settle …`);
  // Settled = no new output for a while; bounded so a stuck engine cannot hang the demo.
  const deadline = Date.now() + 180_000;
  const settled = await new Promise<boolean>((resolve) => {
    const check = setInterval(() => {
      const quiet = Date.now() - lastOutputAt >= settleMs;
      if (quiet || Date.now() > deadline) {
        clearInterval(check);
        resolve(quiet);
      }
    }, 250);
  });
  if (!settled) say('WARNING: the engine was still publishing 180 s after the replay ended; the table below may be incomplete');
  dirty = true;
  if (!tty) process.stdout.write(`${live.board.render()}\n`);
  else render();
  process.stdout.write(`${live.board.ranked().length} ranked actions from ${names.length} drive(s)\n`);
  if (opts.exitAfterReplay) {
    await shutdown();
    return;
  }
  say('still running: Ctrl-C stops the engine and everything the demo started');
  await new Promise<never>(() => undefined);
  }
}
