/**
 * Command-line spelling of candump time handling → CandumpTimeOptions. Absolute stamps
 * (`-L`, `-ta` epoch, `-tA` date) are recognised by themselves; what a capture cannot say
 * is whether small stamps are zero-based (`-tz`) or deltas (`-td`), which epoch they start
 * at, and which zone `-tA` printed its local dates in. Every bad value is a
 * CLI_BAD_ARGUMENT saying what is wrong and what a good value looks like.
 */
import { ErrorCodes, FmeaflowError } from '../../streams/errors.ts';
import type { CandumpTimeOptions } from './candump-parser.ts';

/** The raw flag values as given on the command line. */
export interface CandumpTimeFlags {
  /** `absolute`, `zero` (-tz) or `delta` (-td). */
  timestamps?: string;
  /** ISO 8601 with a zone, or epoch seconds. */
  baseTime?: string;
  /** `Z`, `+HH:MM`, `-HHMM`, `+HH`. */
  tzOffset?: string;
}

function bad(msg: string): never {
  throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, msg);
}

const MODES: Record<string, 'absolute' | 'zero' | 'delta'> = { absolute: 'absolute', a: 'absolute', ta: 'absolute', zero: 'zero', z: 'zero', tz: 'zero', delta: 'delta', d: 'delta', td: 'delta' };

/** Epoch µs of `--candump-base-time`: ISO 8601 with a zone, or epoch seconds with up to 6 decimals. */
export function parseBaseTime(v: string): number {
  const s = v.trim();
  if (/^\d+(\.\d{1,6})?$/.test(s)) {
    const [sec, frac = ''] = s.split('.');
    return Number(sec) * 1_000_000 + Number(frac.padEnd(6, '0'));
  }
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!iso) bad(`--candump-base-time '${v}' is not a time: give ISO 8601 with a zone (e.g. 2025-01-06T08:00:00Z) or epoch seconds (e.g. 1736150400.25)`);
  if (!iso[3]) bad(`--candump-base-time '${v}' has no time zone: add Z for UTC or an offset (e.g. ${s}Z or ${s}+01:00)`);
  const frac = /\.(\d{1,6})$/.exec(iso[2]!)?.[1] ?? '';
  const ms = Date.parse(`${iso[1]}T${iso[2]!.replace(/\.\d+$/, '')}${iso[3]!.toUpperCase() === 'Z' ? 'Z' : iso[3]!.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`);
  if (Number.isNaN(ms)) bad(`--candump-base-time '${v}' is not a valid date (check month, day and hour ranges)`);
  return ms * 1000 + Number(frac.padEnd(6, '0'));
}

/** Minutes east of UTC from `--candump-tz-offset`. */
export function parseTzOffset(v: string): number {
  const s = v.trim();
  if (/^(z|utc)$/i.test(s)) return 0;
  const m = /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(s);
  if (!m) bad(`--candump-tz-offset '${v}' is not a UTC offset: give the zone candump -tA printed its local time in, as +HH:MM or -HH:MM (e.g. +01:00, -05:00) or Z`);
  const h = Number(m[2]);
  const min = Number(m[3] ?? 0);
  if (min > 59) bad(`--candump-tz-offset '${v}': minutes must be 00-59`);
  const total = h * 60 + min;
  if (total > 14 * 60) bad(`--candump-tz-offset '${v}' is beyond ±14:00, the range of real time zones`);
  return m[1] === '-' ? -total : total;
}

/** CandumpTimeOptions for the flags; throws CLI_BAD_ARGUMENT on a bad value or combination. */
export function candumpTimeOptions(f: CandumpTimeFlags): CandumpTimeOptions {
  const out: CandumpTimeOptions = {};
  let mode: 'absolute' | 'zero' | 'delta' | undefined;
  if (f.timestamps !== undefined) {
    mode = MODES[f.timestamps.trim().toLowerCase().replace(/^-/, '')];
    if (!mode) bad(`--candump-timestamps '${f.timestamps}' is not a timestamp style: use absolute (-L, -ta, -tA), zero (-tz, time since the first frame) or delta (-td, time since the previous frame)`);
    if (mode !== 'absolute') out.relativeMode = mode;
  }
  if (f.baseTime !== undefined) {
    // Absolute stamps are taken as they are: a base time would silently shift nothing, or everything.
    if (mode === 'absolute') bad('--candump-base-time applies to relative timestamps (zero or delta); drop it, or say --candump-timestamps zero|delta');
    out.baseTimeUs = parseBaseTime(f.baseTime);
  }
  if (f.tzOffset !== undefined) out.dateTzOffsetMinutes = parseTzOffset(f.tzOffset);
  return out;
}
