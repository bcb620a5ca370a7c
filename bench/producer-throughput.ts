/**
 * Producer hot path throughput: candump parse → batch → Avro → produce, in frames per
 * second and per CPU-second (≈ per core), with and without the broker in the loop so the
 * cost of each stage shows; simulator frames/s; DBC decode. Reference tools in the same
 * run: python-can's CanutilsLogReader for candump parsing and cantools for DBC decoding.
 * The replay path is also timed with run-time DBC decoding (`produce --dbc`).
 *
 *   npx tsx bench/producer-throughput.ts [--frames 300000]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { parseCandumpLine, newCandumpParseState } from '../vehicle-producer/sources/candump-parser.ts';
import { replaySources } from '../vehicle-producer/publish/replay.ts';
import { loadScenario } from '../vehicle-producer/sim/scenario.ts';
import { simulate } from '../vehicle-producer/sim/fleet-simulator.ts';
import { loadDbcFile } from '../vehicle-producer/dbc/dbc-parser.ts';
import { decodeMessage } from '../vehicle-producer/dbc/signal-codec.ts';
import type { DriveManifest } from '../vehicle-producer/drive/drive-manifest.ts';

const argFrames = process.argv.indexOf('--frames');
const N = argFrames > 0 ? Number(process.argv[argFrames + 1]) : 300_000;
const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-bench-'));

/** Runs fn, returns wall seconds and CPU seconds. */
async function timed<T>(fn: () => Promise<T> | T): Promise<{ r: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { r, wall, cpu: (c.user + c.system) / 1e6 };
}

// Build an N-line candump log by repeating the clean drive's vehicle 1 with time shifts.
const manifest = JSON.parse(readFileSync('drives/manifest.json', 'utf8')) as DriveManifest;
const clean = manifest.drives.find((d) => d.name === 'clean')!;
const base = gunzipSync(readFileSync(join('drives', clean.path, clean.vehicles[0]!.canFile))).toString().trim().split('\n');
const lines: string[] = [];
for (let rep = 0; lines.length < N; rep++) {
  for (const l of base) {
    if (lines.length >= N) break;
    const m = /^\((\d+)\.(\d{6})\) (.*)$/.exec(l)!;
    const us = Number(m[1]) * 1e6 + Number(m[2]) + rep * clean.durationMs * 1000;
    lines.push(`(${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}) ${m[3]}`);
  }
}
const logFile = join(dir, 'bench.log');
writeFileSync(logFile, lines.join('\n') + '\n');

const rows: string[][] = [];
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

// 1. parse only (in memory)
{
  const { r, wall, cpu } = await timed(() => {
    const st = newCandumpParseState();
    let n = 0;
    for (const l of lines) if (parseCandumpLine(l, {}, st).kind === 'frame') n++;
    return n;
  });
  rows.push(['candump parse (in memory)', fmt(r / wall), fmt(r / cpu)]);
}
// 2. python-can reference parse of the same file
let pyRate = NaN;
try {
  const out = execFileSync('python3', ['-c', `
import time, can
t=time.perf_counter(); n=0
for m in can.CanutilsLogReader(${JSON.stringify(logFile)}): n+=1
print(n/(time.perf_counter()-t))`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  pyRate = Number(out.trim());
  rows.push(['python-can CanutilsLogReader (reference)', fmt(pyRate), '—']);
} catch {
  rows.push(['python-can CanutilsLogReader (reference)', 'not installed (pip install python-can)', '—']);
}
// 3. file → parse → batch → Avro, no broker
const dry = await timed(() => replaySources([{ type: 'candump', file: logFile, vehicleId: 'BENCH-1' }], { dryRun: true, speed: 'max' }));
rows.push(['file → parse → batch(100 ms) → Avro (no broker)', fmt(dry.r.frames / dry.wall), fmt(dry.r.frames / dry.cpu)]);
// 3b. same with run-time DBC decoding (produce --dbc): known ids also become can_signal points
{
  const dbc = [loadDbcFile('vehicle-producer/dbc/vehicles/hybrid_hatchback.dbc')];
  const dec = await timed(() => replaySources([{ type: 'candump', file: logFile, vehicleId: 'BENCH-1' }], { dryRun: true, speed: 'max', dbc }));
  rows.push(['… with --dbc decoding (simulated hybrid hatchback; no broker)', fmt(dec.r.frames / dec.wall), fmt(dec.r.frames / dec.cpu)]);
  rows.push([`  (decoded ${dec.r.decode?.decodedFrames ?? '?'} of ${dec.r.frames} frames; can_signal points ${dec.r.decode?.signalPoints ?? "?"}, metric records ${dec.r.records.metrics})`, '—', '—']);
}
// 4. same with the broker in the loop (unique topic)
let brokerRow: string[];
try {
  const s = randomBytes(4).toString('hex');
  const full = await timed(() => replaySources([{ type: 'candump', file: logFile, vehicleId: 'BENCH-1' }], { speed: 'max', topics: { can: `bench.producer.can.${s}` } }));
  brokerRow = ['… → produce to Kafka (acks=-1, idempotent, GZIP)', fmt(full.r.frames / full.wall), fmt(full.r.frames / full.cpu)];
  rows.push(brokerRow, ['  (records/s to Kafka: 100 ms batches)', fmt(full.r.records.can / full.wall), '—']);
} catch (err) {
  rows.push(['… → produce to Kafka', `broker unreachable: ${(err as Error).message.slice(0, 60)}`, '—']);
}
// 5. simulator
{
  const sc = { ...loadScenario('vehicle-producer/scenarios/clean.yaml'), durationMs: 300_000 };
  const sim = await timed(() => simulate(sc));
  const frames = [...sim.r.frames.values()].reduce((a, f) => a + f.length, 0);
  rows.push(['fleet simulator (4 vehicles, DBC encode, UDS, telemetry)', fmt(frames / sim.wall), fmt(frames / sim.cpu)]);
}
// 6. DBC decode vs cantools on the hatchback frames of the log
{
  const db = loadDbcFile('vehicle-producer/dbc/vehicles/hybrid_hatchback.dbc');
  const byId = new Map(db.messages.map((m) => [m.frameId, m]));
  const frames: [number, Buffer][] = [];
  const st = newCandumpParseState();
  for (const l of lines) {
    const p = parseCandumpLine(l, {}, st);
    if (p.kind === 'frame' && byId.has(p.frame.id) && p.frame.data.length >= byId.get(p.frame.id)!.length) frames.push([p.frame.id, p.frame.data]);
  }
  const ours = await timed(() => { for (const [id, d] of frames) decodeMessage(byId.get(id)!, d); return frames.length; });
  rows.push(['DBC decode (simulated hybrid hatchback, decoded frames)', fmt(ours.r / ours.wall), fmt(ours.r / ours.cpu)]);
  const vecFile = join(dir, 'frames.txt');
  writeFileSync(vecFile, frames.map(([id, d]) => `${id} ${d.toString('hex')}`).join('\n'));
  try {
    const out = execFileSync('python3', ['-c', `
import time, cantools
db=cantools.database.load_file('vehicle-producer/dbc/vehicles/hybrid_hatchback.dbc')
fr=[(int(a),bytes.fromhex(b)) for a,b in (l.split() for l in open(${JSON.stringify(vecFile)}))]
msgs={m.frame_id:m for m in db.messages}
t=time.perf_counter()
for i,d in fr: msgs[i].decode(d)
print(len(fr)/(time.perf_counter()-t))`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    rows.push(['cantools decode (reference)', fmt(Number(out.trim())), '—']);
  } catch {
    rows.push(['cantools decode (reference)', 'not installed (pip install cantools)', '—']);
  }
}
rmSync(dir, { recursive: true, force: true });

const ratio = Number.isFinite(pyRate) ? ` Parse ratio ours/python-can: ${(Number(rows[0]![1]!.replace(/,/g, '')) / pyRate).toFixed(1)}×.` : '';
const table = ['| stage | frames/s (wall) | frames per CPU-second |', '|---|---:|---:|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
process.stdout.write(`${N} candump lines (clean drive, vehicle 1, repeated).${ratio}\n\n${table}\n`);
