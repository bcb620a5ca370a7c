/**
 * Heap of the per-vehicle series processor when one partition receives N distinct series keys (invented metric
 * names over 1,000 vehicle ids), as a spoofing or misconfigured sender would: the topology's `series-drift-vehicle`
 * processor runs on the same PartitionTask the Kafka worker drives, records arrive keyed by vehicle id, and the task
 * is drained every 1,000 records as the worker commits a batch (outputs, changelog and DLQ records are counted and
 * dropped, as the worker hands them to Kafka). Reports the heap after a full GC at checkpoints, the store size, the
 * pending timers and the DLQ count by code.
 *
 *   npx tsx --expose-gc bench/series-cardinality.ts [--records 1000000] [--max-series N] [--max-vehicles N]
 *
 * Synthetic input only (no reference data needed). Run with `--max-series 1000000000 --max-vehicles 1000000000
 * --max-series-per-name 1000000000` and fewer records to see what the state costs without the caps.
 */
import { parseArgs } from 'node:util';
import { PartitionTask, type TaskInput } from '../streams/runtime/state/partition-task.ts';
import { Topics } from '../streams/topic-catalog.ts';
import { buildTopology, FLEET_TIMING } from '../streams/topology.ts';

const { values: args } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, 'max-series': { type: 'string' }, 'max-series-per-name': { type: 'string' }, 'max-vehicles': { type: 'string' }, vehicles: { type: 'string', default: '1000' } } });
const N = Number(args.records);
const VEHICLES = Number(args.vehicles);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) { console.error('run with --expose-gc: npx tsx --expose-gc bench/series-cardinality.ts'); process.exit(2); }
const limit = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const seriesLimits = Object.fromEntries(Object.entries({ maxGroups: limit(args['max-series']), maxGroupsPerName: limit(args['max-series-per-name']), maxVehicles: limit(args['max-vehicles']) }).filter(([, v]) => v !== undefined));

const proc = buildTopology({ app: 'bench-cardinality', timing: FLEET_TIMING, seriesLimits }).find((p) => p.name === 'series-drift-vehicle')!;
const task = new PartitionTask(proc, 0, { late: Topics.late, dlq: Topics.dlq }, { table: () => new Map() });
const T0 = Date.UTC(2026, 11, 1);
// 1M records over 50 minutes of event time: windows (1 min) close all along, as they would in a live fleet.
const spanMs = 50 * 60_000;
const raw = Buffer.alloc(64);
const heapMb = (): number => { gc(); return process.memoryUsage().heapUsed / 2 ** 20; };

const base = heapMb();
const dlq = new Map<string, number>();
let outputs = 0;
let changelog = 0;
let peak = 0;
const rows: string[] = [];
const started = process.hrtime.bigint();
for (let i = 0; i < N; i++) {
  const vehicleId = `V${i % VEHICLES}`;
  const t = T0 + Math.floor((i / N) * spanMs);
  const input: TaskInput = { topic: Topics.metrics, partition: 0, offset: String(i), key: vehicleId, headers: {}, rawKey: null, rawValue: raw };
  task.handle(input, { vehicleId, name: `invented_${i}`, labels: { ecu: 'bms' }, kind: 'GAUGE', timestampMs: t, value: i % 97, histogram: null, unit: null }, t);
  if (i % 1000 === 999 || i === N - 1) {
    const d = task.drain();
    outputs += d.outputs.length;
    changelog += d.changelog.length;
    for (const x of d.dlq) dlq.set(x.code, (dlq.get(x.code) ?? 0) + 1);
  }
  if ((i + 1) % Math.max(1, Math.floor(N / 10)) === 0) {
    const h = heapMb() - base;
    peak = Math.max(peak, h);
    rows.push(`| ${(i + 1).toLocaleString('en-US')} | ${h.toFixed(1)} | ${task.data.size.toLocaleString('en-US')} | ${task.timers.size.toLocaleString('en-US')} |`);
  }
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`series-drift-vehicle, one partition, ${N.toLocaleString('en-US')} records = distinct series over ${VEHICLES} vehicle ids, limits ${JSON.stringify(seriesLimits)} (defaults otherwise)`);
console.log('');
console.log('| records | heap above start, MB (after GC) | store keys | pending timers |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(r);
console.log('');
console.log(`peak heap above start: ${peak.toFixed(1)} MB; outputs ${outputs.toLocaleString('en-US')}, changelog writes ${changelog.toLocaleString('en-US')}, DLQ ${JSON.stringify(Object.fromEntries(dlq))}; ${(N / seconds).toFixed(0)} records/s (not a speed figure: GC checkpoints included)`);
