/**
 * Regenerates every committed drive under drives/ from its scenario file, gzipped, and
 * rewrites drives/manifest.json. Equivalent to running, for each scenario,
 *   npx tsx streams/cli.ts simulate --scenario vehicle-producer/scenarios/<name>.yaml --out drives/<name> --gzip
 * Run: npx tsx vehicle-producer/regenerate-drives.ts
 */
import { readdirSync, rmSync } from 'node:fs';
import { loadScenario } from './sim/scenario.ts';
import { simulate } from './sim/fleet-simulator.ts';
import { writeDrive } from './drive/drive-writer.ts';

const scenarios = readdirSync('vehicle-producer/scenarios').filter((f) => f.endsWith('.yaml')).sort();
rmSync('drives/manifest.json', { force: true });
for (const f of scenarios) {
  const sc = loadScenario(`vehicle-producer/scenarios/${f}`);
  const entry = writeDrive(simulate(sc), `drives/${sc.name}`, { gzip: true, manifestPath: 'drives/manifest.json' });
  process.stdout.write(`drives/${sc.name}: ${entry.counts.frames} frames, ${entry.counts.logs} logs, faults: ${entry.faults.map((x) => x.kind).join(', ') || 'none'}\n`);
}
