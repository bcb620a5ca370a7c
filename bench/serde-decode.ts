/**
 * Cost of bounded Avro decoding (streams/runtime/serde/bounded-avro.ts), side by side in one
 * run, single thread:
 *  a. avsc as shipped (unbounded: the baseline, not safe on hostile input);
 *  b. avsc with the checked array/map reads of the type hook (what fmeaflow uses);
 *  c. a separate pre-validating walk over the bytes (lengths and block counts checked against
 *     the writer schema), then the avsc decode of (a): the alternative that needs no avsc
 *     internals.
 * Records: a CAN batch of 200 frames, a metric with 6 labels, a release event with a 3-step
 * history, built here (no reference data needed). Also times the three poison values.
 * Usage: npx tsx bench/serde-decode.ts [--seconds 1]
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { decodeAvro, parseAvroSchema } from '../streams/runtime/serde/avro-type.ts';

const secondsArg = process.argv.indexOf('--seconds');
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 1;

const schemaOf = (stem: string): unknown => JSON.parse(readFileSync(new URL(`../schemas/${stem}.avsc`, import.meta.url), 'utf8'));

/** (c): walks the writer schema over the bytes without building values; throws on any bound violation. */
function prevalidate(type: avro.Type, buf: Buffer): void {
  let pos = 0;
  let items = 0;
  const long = (): number => {
    let n = 0;
    let k = 0;
    let b: number;
    do {
      if (pos >= buf.length) throw new Error('truncated');
      b = buf[pos++]!;
      n += (b & 0x7f) * 2 ** k;
      k += 7;
    } while (b & 0x80 && k < 64);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  };
  const skip = (len: number): void => {
    if (!(len >= 0 && len <= buf.length - pos)) throw new Error('length past the end');
    pos += len;
  };
  const blocks = (each: () => void): void => {
    let n: number;
    while ((n = long()) !== 0) {
      if (n < 0) {
        n = -n;
        long();
      }
      items += n;
      if (!(n <= buf.length - pos) || items > buf.length) throw new Error('block count');
      while (n--) each();
    }
  };
  const walk = (t: avro.Type): void => {
    const any = t as unknown as { typeName: string; fields?: { type: avro.Type }[]; types?: avro.Type[]; itemsType?: avro.Type; valuesType?: avro.Type; symbols?: string[]; size?: number };
    switch (any.typeName) {
      case 'null': return;
      case 'boolean': return skip(1);
      case 'int': case 'long': long(); return;
      case 'float': return skip(4);
      case 'double': return skip(8);
      case 'string': case 'bytes': return skip(long());
      case 'fixed': return skip(any.size!);
      case 'enum': { const i = long(); if (i < 0 || i >= any.symbols!.length) throw new Error('enum index'); return; }
      case 'record': case 'error': for (const f of any.fields!) walk(f.type); return;
      case 'array': return blocks(() => walk(any.itemsType!));
      case 'map': return blocks(() => { skip(long()); walk(any.valuesType!); });
      default: {
        const i = long();
        const branch = any.types?.[i];
        if (!branch) throw new Error('union index');
        return walk(branch);
      }
    }
  };
  walk(type);
  if (pos !== buf.length) throw new Error('trailing bytes');
}

const T0 = 1_700_000_000_000;
const cases: { name: string; stem: string; value: unknown }[] = [
  {
    name: 'CAN batch, 200 frames',
    stem: 'can-frame-batch',
    value: {
      vehicleId: 'VIN-000123', bus: 'powertrain', bitrateBps: 500_000, seq: 42, batchStartUs: T0 * 1000, batchEndUs: T0 * 1000 + 100_000, droppedFrames: 0,
      frames: Array.from({ length: 200 }, (_, i) => ({ timestampUs: T0 * 1000 + i * 500, id: 0x100 + (i % 40), extended: false, fd: false, brs: false, rtr: false, error: false, dlc: 8, data: Buffer.from([i, 1, 2, 3, 4, 5, 6, 7]) })),
    },
  },
  {
    name: 'metric, 6 labels',
    stem: 'metric',
    value: { vehicleId: 'VIN-000123', name: 'can_bus_error_rate', labels: { bus: 'main', ecu: 'bms', model: 'M1', region: 'eu', sw: '1.2.3', unit: 'ratio' }, kind: 'GAUGE', timestampMs: T0, value: 0.01, histogram: null, unit: '1' },
  },
  {
    name: 'release event, 3 steps',
    stem: 'release-event',
    value: {
      releaseId: 'r-1', service: 'gateway', version: '2.0.0', baselineVersion: '1.9.0', phase: 'RAMP', trafficPercent: 25, cohort: 'canary', cohortVehicleIds: ['VIN-1', 'VIN-2'], timestampMs: T0,
      history: [0, 1, 2].map((i) => ({ phase: i === 0 ? 'START' : 'RAMP', trafficPercent: 5 * (i + 1), cohortVehicleIds: [], timestampMs: T0 - 1000 * (3 - i) })),
    },
  },
];

function rate(fn: () => void): number {
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return n / SECONDS;
}

const fmt = (x: number): string => Math.round(x).toLocaleString('en');
console.log(`decodes/s per core, ${SECONDS} s per variant and round, 3 rounds interleaved, median of the rounds`);
for (const c of cases) {
  const plain = avro.Type.forSchema(schemaOf(c.stem) as avro.Schema);
  const bounded = parseAvroSchema(schemaOf(c.stem));
  const body = plain.toBuffer(c.value);
  const variants: [string, () => void][] = [
    ['a. avsc as shipped', () => plain.decode(body, 0)],
    ['b. checked reads (type hook)', () => decodeAvro(bounded, bounded, undefined, body, 'bench')],
    ['c. pre-validate walk + avsc', () => { prevalidate(plain, body); plain.decode(body, 0); }],
  ];
  const runs = variants.map(() => [] as number[]);
  for (let round = 0; round < 3; round++) variants.forEach(([, fn], i) => runs[i]!.push(rate(fn)));
  const med = runs.map((r) => r.sort((x, y) => x - y)[1]!);
  console.log(`\n${c.name} (${body.length} bytes)`);
  variants.forEach(([name], i) => console.log(`  ${name.padEnd(30)} ${fmt(med[i]!).padStart(10)}  (${((med[i]! / med[0]!) * 100).toFixed(0)} % of a)`));
}

console.log('\npoison values with the checked reads (b):');
for (const [stem, hex] of [['can-frame-batch', '0256026d0000000080808040'], ['metric', '000080808080010000'], ['release-event', '027202730276000000000000000000000263808080400000']] as const) {
  const t = parseAvroSchema(schemaOf(stem));
  const t0 = performance.now();
  let code = 'decoded';
  try {
    decodeAvro(t, t, undefined, Buffer.from(hex, 'hex'), stem);
  } catch (err) {
    code = (err as { code?: string }).code ?? String(err);
  }
  console.log(`  ${stem} ${hex}: ${code} in ${(performance.now() - t0).toFixed(2)} ms`);
}
