/**
 * Seeded fuzz of the producer's inputs. Real lines of the bundled clean drive (candump,
 * metrics, logs, spans, releases) and DBC texts are mutated — flipped and inserted bytes,
 * control characters, lone CRs, BOMs, cut lines, huge numbers and tokens, stamps past 2^53,
 * times past Date, multiplexer range bombs — and written as plain, gzip, truncated gzip and
 * non-gzip files. One `produce --dry-run` over all of them under a 192 MB heap must finish
 * every file with a summary, one-line problems and exit code 0 or 3, never a crash or a
 * stack; the DBC loader must answer every mutated DBC with a result or one DBC_INVALID line.
 * The seed is printed; FMEAFLOW_FUZZ_SEED=<n> repeats a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import seedrandom from 'seedrandom';
import { parseDbc } from '../../../vehicle-producer/dbc/dbc-parser.ts';
import { SignalDecoder } from '../../../vehicle-producer/dbc/signal-decoder.ts';
import { parseCandumpLine, newCandumpParseState } from '../../../vehicle-producer/sources/candump-parser.ts';
import { FmeaflowError } from '../../../streams/errors.ts';

const SEED = Number(process.env.FMEAFLOW_FUZZ_SEED ?? 20_261_208);
const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'streams/cli.ts');
const DRIVE = join(ROOT, 'drives/clean');

type Rng = () => number;

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;

/** Tokens that broke or could break a parser: numeric edges, control and escape sequences, separators. */
const NASTY = [
  '9007199254.740993', '99999999999999999999', '8640000000000001', '-1', '1e400', 'NaN', '0x', '#', '##', '_F', 'R9',
  '\x1b[2J', '\x1b]0;title\x07', '\u0000', '\r', '\r\n', '\ufeff', '\u2028', '\ud800', '"', '\\', '{', '[', ']', '}', ':', ',',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[', '"timestampMs":8640000000000001', '"endTimeUs":9007199254740993',
  ' 0-3000000000', '-4294967295', ' 2147483648 ', '4096', 'SG_MUL_VAL_ ', '@0+', '@1-', '|64', '|0@', ';',
];

/** One mutation of a text: flips, inserts, deletes, duplicates, nasty tokens, long runs. */
function mutate(rng: Rng, s: string, maxRun = 200_000): string {
  const at = int(rng, s.length + 1);
  switch (int(rng, 9)) {
    case 0: return s.slice(0, at) + String.fromCharCode(int(rng, 256)) + s.slice(at + 1);
    case 1: return s.slice(0, at) + pick(rng, NASTY) + s.slice(at);
    case 2: return s.slice(0, at) + s.slice(at + 1 + int(rng, 20));
    case 3: return s.slice(0, at) + s.slice(at, at + int(rng, 200)) + s.slice(at);
    case 4: return s.slice(0, at) + pick(rng, ['A', '0', 'f', ' ', '\x1b']).repeat(1 + int(rng, maxRun)) + s.slice(at);
    case 5: return s.slice(0, at);
    case 6: return s.replace(/\d+/, () => pick(rng, NASTY));
    case 7: return s.replaceAll('\n', pick(rng, ['\r', '\r\n', '\n\n', '\u2028']));
    default: return s.slice(0, at) + String.fromCharCode(int(rng, 0x10000)) + s.slice(at);
  }
}

function mutateLines(rng: Rng, lines: readonly string[], rounds: number, maxRun = 200_000): string {
  const out = [...lines];
  for (let i = 0; i < rounds; i++) {
    const k = int(rng, out.length);
    out[k] = mutate(rng, out[k]!, maxRun);
  }
  if (rng() < 0.2) out.splice(int(rng, out.length), 0, ...out.slice(0, int(rng, 5)).reverse()); // lines going back in time
  return (rng() < 0.1 ? '\ufeff' : '') + out.join(rng() < 0.15 ? '\r' : '\n') + (rng() < 0.5 ? '\n' : '');
}

function headLines(gzFile: string, n: number): string[] {
  return gunzipSync(readFileSync(gzFile)).toString('utf8').split('\n').filter(Boolean).slice(0, n);
}

/** Writes one generated input file: plain, gzip, truncated gzip or not gzip at all. */
function writeInput(rng: Rng, dir: string, name: string, text: string): string {
  const form = int(rng, 4);
  if (form === 0) {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  }
  const file = join(dir, `${name}.gz`);
  const gz = gzipSync(text);
  writeFileSync(file, form === 1 ? gz : form === 2 ? gz.subarray(0, int(rng, gz.length)) : Buffer.from(text, 'latin1'));
  return file;
}

test(`produce --dry-run over mutated candump, JSONL and gzip files (seed ${SEED})`, { timeout: 600_000 }, (t) => {
  t.diagnostic(`fuzz seed ${SEED}; repeat with FMEAFLOW_FUZZ_SEED=${SEED}`);
  const rng = seedrandom(String(SEED));
  const dir = mkdtempSync(join(tmpdir(), 'fmeaflow-produce-fuzz-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const canFile = readdirSync(join(DRIVE, 'can')).sort()[0]!;
  const seeds: [string, string[]][] = [
    ['capture.log', headLines(join(DRIVE, 'can', canFile), 200)],
    ['x.metrics.jsonl', headLines(join(DRIVE, 'metrics.jsonl.gz'), 40)],
    ['x.logs.jsonl', headLines(join(DRIVE, 'logs.jsonl.gz'), 40)],
    ['x.spans.jsonl', headLines(join(DRIVE, 'spans.jsonl.gz'), 40)],
    ['x.releases.jsonl', readdirSync(join(ROOT, 'drives')).flatMap((d) => { try { return headLines(join(ROOT, 'drives', d, 'releases.jsonl.gz'), 5); } catch { return []; } })],
  ];
  const files: string[] = [];
  for (let i = 0; i < 64; i++) {
    const [name, lines] = seeds[i % seeds.length]!;
    files.push(writeInput(rng, dir, `f${i}-${name}`, mutateLines(rng, lines, 1 + int(rng, 12))));
  }
  const r = spawnSync(process.execPath, ['--max-old-space-size=192', '--import', 'tsx', CLI, 'produce', ...files, '--dry-run', '--speed', 'max'], { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 << 20 });
  assert.equal(r.signal, null, `killed by ${r.signal}`);
  assert.ok(r.status === 0 || r.status === 3, `exit code ${r.status}:\n${r.stderr.slice(0, 4000)}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:/);
  for (const f of files) assert.ok(r.stdout.includes(`${f}: `), `no summary for ${f}`);
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    assert.ok(line.length <= 1000, `output line of ${line.length} characters`);
    assert.doesNotMatch(line, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, `control character in: ${line.slice(0, 200)}`);
  }
});

test(`DBC loader and candump line parser over mutated input (seed ${SEED})`, { timeout: 300_000 }, (t) => {
  t.diagnostic(`fuzz seed ${SEED}; repeat with FMEAFLOW_FUZZ_SEED=${SEED}`);
  const rng = seedrandom(`${SEED}/dbc`);
  const seedDbcs = [
    readFileSync(join(ROOT, 'vehicle-producer/dbc/fleet-extras.dbc'), 'latin1'),
    [
      'VERSION ""', '', 'NS_ :', '\tCM_', '', 'BS_:', 'BU_: ECU', '',
      'BO_ 2147484320 EXT: 8 ECU', ' SG_ Moto : 7|12@0+ (1,0) [0|4095] "" ECU', ' SG_ Fl : 32|32@1- (1,0) [0|0] "" ECU', '',
      'BO_ 291 MUXED: 8 ECU', ' SG_ Sw M : 0|8@1+ (1,0) [0|255] "" ECU', ' SG_ A m1 : 8|8@1+ (1,0) [0|255] "" ECU', ' SG_ B m2M : 16|8@1+ (2,100) [0|255] "rpm" ECU', ' SG_ C : 24|8@1+ (1,0) [0|255] "" ECU', '',
      'CM_ SG_ 291 A "a ; comment";', 'BA_DEF_ BO_ "GenMsgCycleTime" INT 0 10000;', 'BA_ "GenMsgCycleTime" BO_ 291 20;',
      'VAL_ 291 Sw 1 "ONE" 2 "TWO" ;', 'SIG_VALTYPE_ 2147484320 Fl : 1;', 'SG_MUL_VAL_ 291 C B 3-5, 9-9;', 'SG_MUL_VAL_ 291 B Sw 2-2;', '',
    ].join('\n'),
  ];
  let parsed = 0;
  let refused = 0;
  for (let i = 0; i < 2000; i++) {
    const text = mutateLines(rng, pick(rng, seedDbcs).split('\n'), 1 + int(rng, 4), 2_000);
    let db;
    try {
      db = parseDbc(text, 'fuzz.dbc');
      parsed++;
    } catch (err) {
      assert.ok(err instanceof FmeaflowError && err.code === 'DBC_INVALID', `case ${i}: ${err instanceof Error ? err.stack : String(err)}`);
      assert.ok(err.message.startsWith('fuzz.dbc:') && err.message.length <= 600, `case ${i}: ${err.message.slice(0, 300)}`);
      assert.doesNotMatch(err.message, /[\x00-\x1f\x7f-\x9f]/, `case ${i}`);
      refused++;
      continue;
    }
    // Whatever parsed decodes payloads with a result or a counted decode error, never a throw.
    const dec = new SignalDecoder([db]);
    for (const m of db.messages.slice(0, 4)) {
      const data = Buffer.from(Array.from({ length: int(rng, 65) }, () => int(rng, 256)));
      dec.decode('v', { timestampUs: 1_736_150_400_000_000, iface: 'can0', id: m.frameId, extended: m.extended, fd: data.length > 8, brs: false, esi: false, rtr: false, error: false, dlc: 0, data });
    }
  }
  t.diagnostic(`DBC: ${parsed} parsed, ${refused} refused`);
  assert.ok(parsed > 100 && refused > 100, `the corpus exercises both outcomes (${parsed} parsed, ${refused} refused)`);

  const lines = headLines(join(DRIVE, 'can', readdirSync(join(DRIVE, 'can')).sort()[0]!), 50);
  const state = newCandumpParseState();
  for (let i = 0; i < 10_000; i++) {
    const r = parseCandumpLine(mutate(rng, pick(rng, lines), 2_000), {}, state);
    if (r.kind !== 'error') continue;
    assert.ok(r.reason.length <= 300, `reason of ${r.reason.length} characters`);
    assert.doesNotMatch(r.reason, /[\x00-\x1f\x7f-\x9f]/);
  }
});
