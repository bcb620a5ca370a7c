/**
 * Fault onset → published FMEA action, on the real Kafka runtime (issue 6's second benchmark).
 *
 * Usage (broker and registry of the local stack must be running):
 *   npx tsx bench/fmea-onset-latency.ts                          # ×2 and unpaced, 2 runs each, ~3 min
 *   npx tsx bench/fmea-onset-latency.ts --out /tmp/onset.md      # also writes the tables to a file
 *   npx tsx bench/fmea-onset-latency.ts --speeds 1 --reps 1      # real time, ~2.2 min per run
 * Options: --speeds <x,...|max> replay pacing (real-time multiplier or "max"), --reps <n> runs per speed,
 *          --drives <a,b> (default: every fault drive of drives/manifest.json plus clean), --timeout-s <s> (wait for
 *          the actions after the replay, default 120), --out <file>.
 *
 * Each run is a fresh engine: the whole topology (DRIVE_TIMING, exactly-once) in one worker, on private
 * copies of the catalog topics (`bench-onset-<id>.<topic>`) and its own app id, so nothing of another run
 * or another engineer's test on the shared broker reaches it. The fault drives and the clean drive are
 * replayed as one fleet, as `fmeaflow demo` does. A read_committed reader of the actions topic is joined
 * before the replay starts. Per drive it reports:
 *  - onset: the fault's event time from the drive manifest (the scenario's onsetS);
 *  - event-time latency: the first action's firstSeenMs (event time of the evidence that activated it,
 *    a window end for windowed evidence) minus the onset, in seconds and in 10 s windows; also the
 *    earliest event time cited in its evidence;
 *  - wall latency: from the broker's acknowledgement of the first record of an affected vehicle (any
 *    vehicle of the drive for fleet-scope entries) with event time ≥ onset, to the moment the reader
 *    receives the drive's expected entry;
 *  - input lead: how far the replay's event time had moved past the onset when the action arrived;
 *  - late / dead-lettered records of the run (late ones by processor): unpaced replays outrun the
 *    watermarks of the repartitioned fleet stages, paced ones should show none.
 * Pacing ×k divides every event-time wait (window, allowed lateness) by k and leaves the processing
 * time as is, so the wall figure at ×k is about (event-time wait)/k + processing; "max" measures how
 * fast the engine drains a backlog instead. The replay runs in a child process (vehicles are not part
 * of the engine); both processes read the same wall clock.
 * The run's topics, schema subjects, changelogs and consumer groups are deleted afterwards.
 */
import { loadavg } from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { publishRuleFiles } from '../streams/fmea/publish.ts';
import { expandRuleFiles } from '../streams/fmea/rule-files.ts';
import { deleteAppResources, appResources } from '../streams/runtime/admin/app-resources.ts';
import { provisionTopics } from '../streams/runtime/admin/topic-provisioner.ts';
import { waitForTopicsGone } from '../streams/runtime/admin/topic-readiness.ts';
import { createKafka } from '../streams/runtime/kafka/client.ts';
import { runWorker } from '../streams/runtime/kafka/worker.ts';
import { followOutputs } from '../streams/runtime/live/output-feed.ts';
import { createSerde } from '../streams/runtime/serde/serde.ts';
import { PROJECT_ROOT } from '../streams/runtime/stack/stack-config.ts';
import { stackEndpoints } from '../streams/runtime/stack/stack.ts';
import { Topics } from '../streams/topic-catalog.ts';
import { buildTopology, DRIVE_TIMING } from '../streams/topology.ts';
import { KafkaSink } from '../vehicle-producer/publish/kafka-sink.ts';
import { replayDrives } from '../vehicle-producer/publish/replay.ts';
import { faultDriveExpectations, type DriveExpectation } from '../test/e2e/expectations.ts';
import { actionsTopicOf, namespaceProcessor, topicNamespace, type TopicNamespace } from './lib/namespaced-topics.ts';

const WINDOW_MS = DRIVE_TIMING.canWindowMs;
const DRIVES_DIR = path.join(PROJECT_ROOT, 'drives');
const RULES_DIR = path.join(PROJECT_ROOT, 'fmea-rules');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const speeds = arg('speeds', '2,max').split(',').map((s) => (s === 'max' ? 'max' as const : Number(s)));
const reps = Number(arg('reps', '2'));
const timeoutMs = Number(arg('timeout-s', '120')) * 1000;
const outFile = arg('out', '');
for (const s of speeds) if (s !== 'max' && !(s > 0)) throw new Error(`--speeds: ${s} is neither a positive multiplier nor "max"`);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps ${reps}: give a whole number ≥ 1`);

const allExpectations = faultDriveExpectations();
const driveNames = arg('drives', [...allExpectations.map((e) => e.drive), 'clean'].join(',')).split(',');
const expectations = allExpectations.filter((e) => driveNames.includes(e.drive));

interface Action {
  key: string; entryId: string; scopeKind: string; scopeId: string; rank: number; status: string;
  firstSeenMs: number; evidence: Record<string, string[]>;
}

/** One drive's figures in one run. */
interface DriveResult {
  drive: string; entryId: string; onsetMs: number;
  firstSeenMs?: number; earliestEvidenceMs?: number; scope?: string; rank?: number;
  /** Wall ms from the onset record's acknowledgement (and from handing it to the producer) to the action. */
  wallFromAckMs?: number; wallFromHandoffMs?: number;
  /** Event time the replay had reached when the action arrived, minus the onset. */
  inputLeadMs?: number;
}

/** Wall time of the broker's acknowledgement of marked records (the sink flushes in batches). */
class AckTimedSink extends KafkaSink {
  private pending: (() => void)[] = [];
  mark(onAcked: () => void): void {
    this.pending.push(onAcked);
  }
  override async flush(): Promise<void> {
    const marked = this.pending;
    this.pending = [];
    await super.flush();
    for (const f of marked) f();
  }
}

function recordEventMs(catalogTopic: string, value: Record<string, unknown>): number {
  switch (catalogTopic) {
    case Topics.can: return Math.floor(Number(value['batchEndUs']) / 1000);
    case Topics.spans: return Math.floor(Number(value['endTimeUs']) / 1000);
    default: return Number(value['timestampMs']);
  }
}

/** Times cited in an action's evidence strings (`…@<epoch ms>`). */
function citedTimes(ev: Record<string, string[]>): number[] {
  return [...(ev['canFeatureWindows'] ?? []), ...(ev['driftEvents'] ?? []), ...(ev['alerts'] ?? [])]
    .map((s) => Number(s.slice(s.lastIndexOf('@') + 1))).filter((t) => Number.isFinite(t) && t > 1e12);
}

function belongs(e: DriveExpectation, key: string): boolean {
  return e.vehicleScope ? e.affected.includes(key) : key.startsWith(`${e.drive}/`);
}

type ChildJob = { drives: string[]; speed: number | 'max'; ns: string; brokers: string[]; registryUrl: string };
type ChildDone = { type: 'done'; replayS: number };
type ChildMessage = { type: 'lead'; eventMs: number } | { type: 'handoff'; drive: string; atMs: number } | { type: 'ack'; drive: string; atMs: number } | ChildDone;

/** The replay process: plays the drives and reports the onset records' hand-off/acknowledgement and its event-time position. */
async function replayChild(job: ChildJob): Promise<void> {
  const say = (m: ChildMessage): void => void process.send!(m);
  const n = topicNamespace(job.ns);
  const sink = new AckTimedSink({ brokers: job.brokers });
  await sink.start();
  const handedOff = new Set<string>();
  let lead = 0;
  const t0 = Date.now();
  await replayDrives({
    drives: job.drives.map((d) => path.join(DRIVES_DIR, d)), brokers: job.brokers, registryUrl: job.registryUrl, speed: job.speed, topics: n.producerTopics, sink,
    onRecord: (topic, key, value) => {
      const t = recordEventMs(n.in(topic), value as Record<string, unknown>);
      if (t >= lead + 100) say({ type: 'lead', eventMs: (lead = t) });
      for (const e of expectations) {
        if (handedOff.has(e.drive) || t < e.onsetMs || !belongs(e, key)) continue;
        handedOff.add(e.drive);
        say({ type: 'handoff', drive: e.drive, atMs: Date.now() });
        sink.mark(() => say({ type: 'ack', drive: e.drive, atMs: Date.now() }));
      }
    },
  });
  await sink.flush();
  await sink.waitDrained(30_000);
  const replayS = (Date.now() - t0) / 1000;
  await sink.close();
  say({ type: 'done', replayS });
  process.disconnect();
}

async function oneRun(runId: string, speed: number | 'max'): Promise<{ results: DriveResult[]; replayS: number; startS: number; load: string; side: { late: number; dlq: number; lateBy: Record<string, number> } }> {
  const load0 = loadavg()[0]!;
  const { brokers, registryUrl } = stackEndpoints();
  const n = topicNamespace(`bench-onset-${runId}`);
  const app = n.ns;
  const t0 = Date.now();
  const kafka = createKafka(`${app}-bench`, brokers);
  const admin = kafka.admin();
  await admin.connect();
  await provisionTopics(admin, n.specs);
  await publishRuleFiles(expandRuleFiles([RULES_DIR]), { brokers, registryUrl, topic: n.out(Topics.rules), publishedBy: app });
  const processors = buildTopology({ app, timing: DRIVE_TIMING }).map((p) => namespaceProcessor(p, n));
  const worker = await runWorker({
    app, processors, brokers, registryUrl, schemasDir: path.join(PROJECT_ROOT, 'schemas'), handleSignals: false, startFrom: 'earliest',
    catalog: n.specs.map((s) => ({ name: s.name, schema: s.schema })), lateTopic: n.out(Topics.late), dlqTopic: n.out(Topics.dlq),
  });
  const serde = createSerde({ registryUrl, schemasDir: path.join(PROJECT_ROOT, 'schemas') });
  const followed = [actionsTopicOf(n), n.out(Topics.late), n.out(Topics.dlq)];
  await serde.registerAll(n.specs.filter((s) => followed.includes(s.name)).map((s) => ({ name: s.name, schema: s.schema })));
  // Late and dead-lettered records would mean the figures rest on dropped input.
  const side = { late: 0, dlq: 0, lateBy: {} as Record<string, number> };

  const byDrive = new Map<string, DriveResult>(expectations.map((e) => [e.drive, { drive: e.drive, entryId: e.entryId, onsetMs: e.onsetMs }]));
  const onsetHandoff = new Map<string, number>();
  const onsetAck = new Map<string, number>();
  let replayEventMs = 0;
  let allSeen: () => void = () => {};
  const seenAll = new Promise<void>((r) => (allSeen = r));
  const feed = await followOutputs(kafka, serde, followed, (r) => {
    if (r.topic === n.out(Topics.late)) {
      const by = (r.value as { processor: string }).processor;
      side.lateBy[by] = (side.lateBy[by] ?? 0) + 1;
      return void side.late++;
    }
    if (r.topic === n.out(Topics.dlq)) return void side.dlq++;
    const a = r.value as Action | null;
    if (!a) return;
    const now = Date.now();
    for (const e of expectations) {
      const res = byDrive.get(e.drive)!;
      if (res.firstSeenMs !== undefined || a.entryId !== e.entryId) continue;
      if (e.vehicleScope ? !(a.scopeKind === 'vehicle' && e.affected.includes(a.scopeId)) : !e.evidence(a.evidence)) continue;
      const cited = citedTimes(a.evidence);
      Object.assign(res, {
        firstSeenMs: a.firstSeenMs, earliestEvidenceMs: Math.min(a.firstSeenMs, ...cited), scope: `${a.scopeKind}:${a.scopeId}`, rank: a.rank,
        inputLeadMs: replayEventMs - e.onsetMs,
        ...(onsetAck.has(e.drive) ? { wallFromAckMs: now - onsetAck.get(e.drive)! } : {}),
        ...(onsetHandoff.has(e.drive) ? { wallFromHandoffMs: now - onsetHandoff.get(e.drive)! } : {}),
      });
    }
    if ([...byDrive.values()].every((x) => x.firstSeenMs !== undefined)) allSeen();
  }, { fromBeginning: true });
  const startS = (Date.now() - t0) / 1000;

  // The replay runs in its own process, as vehicles are not part of the engine: in one process the
  // producer's parsing and encoding would share the engine's event loop and inflate its latency.
  const child = fork(fileURLToPath(import.meta.url), ['--replay-child'], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const finished = new Promise<ChildDone>((resolve, reject) => {
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'lead') replayEventMs = m.eventMs;
      else if (m.type === 'handoff') onsetHandoff.set(m.drive, m.atMs);
      else if (m.type === 'ack') onsetAck.set(m.drive, m.atMs);
      else resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`replay process exited with ${code} before finishing`)));
  });
  child.send({ drives: driveNames, speed, ns: n.ns, brokers, registryUrl } satisfies ChildJob);
  let replayS = 0;
  try {
    replayS = (await finished).replayS;
    await Promise.race([seenAll, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  } finally {
    child.kill();
    await feed.stop();
    await worker.stop();
    await cleanup(admin, n, appResources(app, processors), registryUrl);
    await admin.disconnect();
  }
  return { results: [...byDrive.values()], replayS, startS, side, load: `${load0.toFixed(1)}→${loadavg()[0]!.toFixed(1)}` };
}

async function cleanup(admin: kafkajs.Admin, n: TopicNamespace, own: ReturnType<typeof appResources>, registryUrl: string): Promise<void> {
  try {
    await deleteAppResources(admin, own);
    const mine = n.specs.map((s) => s.name);
    await admin.deleteTopics({ topics: mine });
    await waitForTopicsGone(admin, mine);
  } catch (err) {
    process.stderr.write(`cleanup of ${n.ns} incomplete (${(err as Error).message}); fmeaflow reset --app ${n.ns} and deleting ${n.ns}.* topics finish it\n`);
  }
  // Its own subjects too (only `<ns>.…`), so repeated runs do not pile up in the shared registry.
  for (const s of n.specs) await fetch(`${registryUrl}/subjects/${encodeURIComponent(`${s.name}-value`)}`, { method: 'DELETE' }).catch(() => undefined);
}

const sec = (ms: number | undefined): string => (ms === undefined ? '—' : (ms / 1000).toFixed(1));
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
const offset = (ms: number): string => `t+${((ms - Date.UTC(2025, 0, 6, 8)) / 1000).toFixed(0)} s`;

if (process.argv.includes('--replay-child')) {
  process.once('message', (job: ChildJob) => void replayChild(job).catch((err) => {
    process.stderr.write(`replay failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  }));
} else {
  await main();
}

async function main(): Promise<void> {
  // The worker's JSON logs would bury the table; FMEAFLOW_LOG_LEVEL=info brings them back.
  process.env.FMEAFLOW_LOG_LEVEL ??= 'error';
const runs: { speed: number | 'max'; rep: number; results: DriveResult[]; replayS: number; startS: number; load: string; side: { late: number; dlq: number; lateBy: Record<string, number> } }[] = [];
const stamp = Date.now().toString(36);
for (let rep = 1; rep <= reps; rep++) {
  for (const speed of speeds) {
    const id = `${stamp}-${speed === 'max' ? 'max' : `x${speed}`}-${rep}`;
    process.stderr.write(`run ${id}: replaying ${driveNames.join(', ')} at ${speed === 'max' ? 'full speed' : `${speed}× real time`} …\n`);
    const r = await oneRun(id, speed);
    runs.push({ speed, rep, ...r });
    process.stderr.write(`  engine up in ${r.startS.toFixed(1)} s, replay ${r.replayS.toFixed(1)} s, ${r.side.late} late / ${r.side.dlq} dead-lettered records; ${r.results.map((x) => `${x.drive} ${sec(x.wallFromAckMs)} s`).join(', ')}\n`);
  }
}

const lines: string[] = [];
lines.push(`Drives replayed as one fleet: ${driveNames.join(', ')} (each 120 s of event time, 4 vehicles). Timing: DRIVE_TIMING (CAN/log windows ${WINDOW_MS / 1000} s, series windows ${DRIVE_TIMING.seriesWindowMs / 1000} s); exactly-once; node ${process.version}.`);
lines.push('');
lines.push('| pacing | rep | drive | entry (first scope, rank at publication) | onset | earliest cited evidence | firstSeen | event-time latency s / windows | wall from onset ack s | wall from hand-off s | input lead at publication s | replay s | late / DLQ records | load avg (1 min) |');
lines.push('|---|---:|---|---|---|---|---|---|---:|---:|---:|---:|---:|---|');
for (const r of runs) {
  for (const d of r.results) {
    const evLat = d.firstSeenMs === undefined ? 'not published' : `${sec(d.firstSeenMs - d.onsetMs)} / ${((d.firstSeenMs - d.onsetMs) / WINDOW_MS).toFixed(1)}`;
    lines.push(`| ${r.speed === 'max' ? 'max' : `×${r.speed}`} | ${r.rep} | ${d.drive} | ${d.entryId} (${d.scope ?? '—'}, ${d.rank ?? '—'}) | ${offset(d.onsetMs)} | ${d.earliestEvidenceMs ? offset(d.earliestEvidenceMs) : '—'} | ${d.firstSeenMs ? offset(d.firstSeenMs) : '—'} | ${evLat} | ${sec(d.wallFromAckMs)} | ${sec(d.wallFromHandoffMs)} | ${sec(d.inputLeadMs)} | ${r.replayS.toFixed(1)} | ${r.side.late} / ${r.side.dlq} | ${r.load} |`);
  }
}
lines.push('');
for (const r of runs) if (r.side.late > 0) lines.push(`Late records, ${r.speed === 'max' ? 'max' : `×${r.speed}`} rep ${r.rep} (until the last action arrived), by processor: ${Object.entries(r.side.lateBy).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
lines.push('');
lines.push('| pacing | drive | entry | event-time latency s (windows) | wall from onset ack, p50 / max s | n |');
lines.push('|---|---|---|---|---:|---:|');
for (const speed of speeds) {
  for (const e of expectations) {
    const ds = runs.filter((r) => r.speed === speed).map((r) => r.results.find((d) => d.drive === e.drive)!);
    const walls = ds.map((d) => d.wallFromAckMs).filter((x): x is number => x !== undefined);
    const lats = [...new Set(ds.map((d) => (d.firstSeenMs === undefined ? 'none' : `${sec(d.firstSeenMs - d.onsetMs)} (${((d.firstSeenMs - d.onsetMs) / WINDOW_MS).toFixed(1)})`)))].join(', ');
    lines.push(`| ${speed === 'max' ? 'max' : `×${speed}`} | ${e.drive} | ${e.entryId} | ${lats} | ${walls.length ? `${sec(median(walls))} / ${sec(Math.max(...walls))}` : '—'} | ${walls.length}/${ds.length} |`);
  }
}
const table = lines.join('\n');
process.stdout.write(`${table}\n`);
if (outFile) writeFileSync(outFile, `${table}\n`);
}
