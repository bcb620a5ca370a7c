/**
 * How closely a paced replay follows its schedule on the real clock: the bundled clean drive
 * (drives/, ~120 s of event time) replayed dry (no broker) at ×N, wall time against the
 * schedule (event span / N), over a few repetitions. The unit test checks the schedule itself
 * with a fake clock; the wall time belongs here because it depends on how loaded the machine is.
 *
 *   npx tsx bench/replay-pacing.ts [--speed 40] [--runs 3]
 */
import { replayDrive } from '../vehicle-producer/publish/replay.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const speed = arg('--speed', 40);
const runs = arg('--runs', 3);
if (!(speed > 0) || !(runs >= 1)) {
  process.stderr.write('replay-pacing: --speed must be > 0 and --runs >= 1\n');
  process.exit(2);
}

const rows: string[] = [];
for (let i = 0; i < runs; i++) {
  const cpu0 = process.cpuUsage();
  const r = await replayDrive({ drive: 'drives/clean', dryRun: true, speed });
  const cpu = process.cpuUsage(cpu0);
  const due = r.eventSpanMs / speed;
  rows.push(`| ${i + 1} | ${(r.eventSpanMs / 1000).toFixed(1)} | ${due.toFixed(0)} | ${r.elapsedMs} | ${(r.elapsedMs - due).toFixed(0)} | ${((cpu.user + cpu.system) / 1000).toFixed(0)} |`);
}
process.stdout.write(`replay of drives/clean, dry run, ×${speed}\n\n| run | event span s | schedule ms | wall ms | late ms | CPU ms |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`);
