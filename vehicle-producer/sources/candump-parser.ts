/**
 * Parser for every common candump text form (can-utils): the `-L` log form
 * `(sec.usec) iface ID#DATA` (what `candump -l` writes and `canplayer` reads), and the
 * screen form `iface  ID   [len]  DATA…` with or without a timestamp in any of candump's
 * `-t` styles (`a` epoch, `A` date, `d` delta, `z` zero-based) and with `-x` extras.
 * Pure: one line in, one frame or one reason out, so files, stdin and tests share it.
 */
import { CAN_ERR_FLAG, dlcToLength, lengthToDlc, type CanFrame } from '../can-frame.ts';
import { printable } from '../../streams/untrusted-text.ts';
import { MAX_EVENT_TIME_MS, MIN_EVENT_TIME_MS } from '../event-time-range.ts';

/** How to read relative (`-td` delta / `-tz` zero-based) and missing timestamps. */
export interface CandumpTimeOptions {
  /** Epoch µs added to relative timestamps and used when a line has none. Default 0. */
  baseTimeUs?: number;
  /** `zero` (candump -tz, the default) or `delta` (candump -td: time since previous frame). */
  relativeMode?: 'zero' | 'delta';
  /** Minutes east of UTC of date-form timestamps (candump -tA prints local time). Default 0 = UTC. */
  dateTzOffsetMinutes?: number;
}

/** Parse result of one line: a frame, a blank/comment line, or why it is not a frame. */
export type CandumpLineResult =
  | { kind: 'frame'; frame: CanFrame }
  | { kind: 'skip' }
  | { kind: 'error'; reason: string };

/** Mutable state carried across lines (needed for `-td` deltas). */
export interface CandumpParseState {
  lastTimeUs: number;
}

const CAN_EFF_MASK = 0x1fffffff;
/** Linux interface names are at most 15 characters (IFNAMSIZ 16 with the terminator). */
const MAX_IFACE_CHARS = 15;
/** Relative timestamps are below this (about 3 years in seconds); absolute epoch ones are above. */
const ABSOLUTE_EPOCH_MIN_SEC = 100_000_000;

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function parseHexInt(s: string): number {
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const n = hexNibble(s.charCodeAt(i));
    if (n < 0) return -1;
    v = v * 16 + n;
  }
  return v;
}

/** Parses `sec.frac` into epoch µs exactly (no float rounding on 16-digit values). */
function parseSecondsToUs(s: string): number {
  const dot = s.indexOf('.');
  const secPart = dot < 0 ? s : s.slice(0, dot);
  const frac = dot < 0 ? '' : s.slice(dot + 1);
  if (!/^\d+$/.test(secPart) || !/^\d*$/.test(frac)) return Number.NaN;
  const us = frac.length >= 6 ? Number(frac.slice(0, 6)) : Number(frac.padEnd(6, '0'));
  return Number(secPart) * 1_000_000 + us;
}

const DATE_TS = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Resolves a parenthesised candump timestamp into epoch µs, or NaN. */
function resolveTimestamp(raw: string, opts: CandumpTimeOptions, state: CandumpParseState): number {
  const d = DATE_TS.exec(raw);
  if (d) {
    const ms = Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!, +d[4]!, +d[5]!, +d[6]!);
    const frac = d[7] ?? '';
    const us = ms * 1000 + Number((frac + '000000').slice(0, 6)) - (opts.dateTzOffsetMinutes ?? 0) * 60_000_000;
    state.lastTimeUs = us;
    return us;
  }
  const v = parseSecondsToUs(raw.trim());
  if (Number.isNaN(v)) return v;
  if (v >= ABSOLUTE_EPOCH_MIN_SEC * 1_000_000) {
    state.lastTimeUs = v;
    return v;
  }
  const base = opts.baseTimeUs ?? 0;
  if (opts.relativeMode === 'delta') {
    const prev = state.lastTimeUs === Number.NEGATIVE_INFINITY ? base : state.lastTimeUs;
    state.lastTimeUs = prev + v;
    return state.lastTimeUs;
  }
  state.lastTimeUs = base + v;
  return state.lastTimeUs;
}

interface IdInfo { id: number; extended: boolean; error: boolean }

/** Decodes candump's id field: 3 hex digits standard, 8 hex digits extended or error (CAN_ERR_FLAG). */
function parseId(s: string): IdInfo | string {
  if (s.length !== 3 && s.length !== 8) return `CAN id '${printable(s)}' must have 3 (standard) or 8 (extended) hex digits`;
  const raw = parseHexInt(s);
  if (raw < 0) return `CAN id '${printable(s)}' is not hexadecimal`;
  if (s.length === 3) {
    if (raw > 0x7ff) return `standard CAN id 0x${printable(s)} exceeds 0x7FF`;
    return { id: raw, extended: false, error: false };
  }
  if (raw & CAN_ERR_FLAG) return { id: raw & CAN_EFF_MASK & ~CAN_ERR_FLAG, extended: false, error: true };
  if (raw > CAN_EFF_MASK) return `extended CAN id 0x${printable(s)} exceeds 0x1FFFFFFF`;
  return { id: raw, extended: true, error: false };
}

function hexToBuffer(s: string): Buffer | string {
  const clean = s.includes('.') ? s.replaceAll('.', '') : s;
  if (clean.length % 2 !== 0) return `payload '${printable(s)}' has an odd number of hex digits`;
  for (let i = 0; i < clean.length; i++) if (hexNibble(clean.charCodeAt(i)) < 0) return `payload '${printable(s)}' is not hexadecimal`;
  return Buffer.from(clean, 'hex');
}

/** Parses the compact `ID#DATA` / `ID#R[len]` / `ID##<flags>DATA` / `ID#DATA_<dlc>` frame token. */
export function parseCompactFrame(token: string, iface: string, timestampUs: number): CanFrame | string {
  const hash = token.indexOf('#');
  if (hash < 0) return `frame '${printable(token)}' has no '#' between id and data`;
  const idInfo = parseId(token.slice(0, hash));
  if (typeof idInfo === 'string') return idInfo;
  let rest = token.slice(hash + 1);
  const frame: CanFrame = { timestampUs, iface, id: idInfo.id, extended: idInfo.extended, fd: false, brs: false, esi: false, rtr: false, error: idInfo.error, dlc: 0, data: EMPTY };
  if (rest[0] === 'R' || rest[0] === 'r') {
    if (idInfo.error) return 'error frames cannot be remote requests';
    frame.rtr = true;
    if (rest.length > 2) return `remote request '${printable(token)}' has more than one length digit`;
    if (rest.length === 2) {
      const dlc = hexNibble(rest.charCodeAt(1));
      if (dlc < 0 || dlc > 8) return `remote request length '${printable(rest.slice(1, 2))}' must be 0-8`;
      frame.dlc = dlc;
    }
    return frame;
  }
  if (rest[0] === '#') {
    if (idInfo.error) return 'error frames cannot be CAN FD frames';
    const flags = hexNibble(rest.charCodeAt(1));
    if (flags < 0) return `CAN FD frame '${printable(token)}' needs a hex flags digit after '##'`;
    frame.fd = true;
    frame.brs = (flags & 1) !== 0;
    frame.esi = (flags & 2) !== 0;
    rest = rest.slice(2);
    const data = hexToBuffer(rest);
    if (typeof data === 'string') return data;
    if (data.length > 64) return `CAN FD payload of ${data.length} bytes exceeds 64`;
    if (dlcToLength(lengthToDlc(data.length)) !== data.length) return `CAN FD payload of ${data.length} bytes is not a valid FD length (0-8,12,16,20,24,32,48,64)`;
    frame.data = data;
    frame.dlc = lengthToDlc(data.length);
    return frame;
  }
  let dlcOverride = -1;
  const us = rest.indexOf('_');
  if (us >= 0) {
    dlcOverride = hexNibble(rest.charCodeAt(us + 1));
    if (dlcOverride < 9 || rest.length !== us + 2) return `len8_dlc suffix '${printable(rest.slice(us))}' must be _9.._F`;
    rest = rest.slice(0, us);
  }
  const data = hexToBuffer(rest);
  if (typeof data === 'string') return data;
  if (data.length > 8) return `classic CAN payload of ${data.length} bytes exceeds 8 (use ID##<flags>DATA for CAN FD)`;
  if (dlcOverride >= 0 && data.length !== 8) return 'len8_dlc suffix is only valid with 8 data bytes';
  frame.data = data;
  frame.dlc = dlcOverride >= 0 ? dlcOverride : data.length;
  return frame;
}

const EMPTY = Buffer.alloc(0);
const HEX2 = /^[0-9A-Fa-f]{2}$/;

/** Parses the screen form after the optional timestamp: `iface [RX|TX B|- E|-] ID [len] DATA…`. */
function parseScreenForm(tokens: string[], timestampUs: number): CanFrame | string {
  const iface = tokens[0]!;
  let i = 1;
  let brs = false;
  let esi = false;
  if (tokens[i] === 'RX' || tokens[i] === 'TX') {
    brs = tokens[i + 1] === 'B';
    esi = tokens[i + 2] === 'E';
    i += 3;
  }
  const idTok = tokens[i++];
  if (idTok === undefined) return 'missing CAN id';
  const idInfo = parseId(idTok);
  if (typeof idInfo === 'string') return idInfo;
  const lenTok = tokens[i++];
  const m = lenTok === undefined ? null : /^\[(\d{1,2})(?::([0-9A-Fa-f]))?\]$/.exec(lenTok);
  if (!m) return `expected '[len]' after the id, got '${printable(lenTok ?? '')}'`;
  const fd = m[1]!.length === 2;
  const len = Number(m[1]);
  const frame: CanFrame = { timestampUs, iface, id: idInfo.id, extended: idInfo.extended, fd, brs: fd && brs, esi: fd && esi, rtr: false, error: idInfo.error, dlc: 0, data: EMPTY };
  if (tokens[i] === 'remote' && tokens[i + 1] === 'request') {
    if (fd) return 'CAN FD frames cannot be remote requests';
    if (len > 8) return `remote request length ${len} exceeds 8`;
    frame.rtr = true;
    frame.dlc = len;
    return frame;
  }
  const bytes: number[] = [];
  while (i < tokens.length && HEX2.test(tokens[i]!) && bytes.length < len) bytes.push(parseInt(tokens[i++]!, 16));
  if (bytes.length !== len) return `length says ${len} bytes but ${bytes.length} data bytes follow`;
  // After the data candump prints only the -a ASCII column ('…') or -e's ERRORFRAME marker.
  const extra = tokens[i];
  if (extra !== undefined) {
    if (HEX2.test(extra)) return `length says ${len} bytes but more data bytes follow`;
    if (!extra.startsWith("'") && extra !== 'ERRORFRAME') return `unexpected '${printable(extra)}' after the data bytes (candump prints only the ASCII column or ERRORFRAME there)`;
  }
  if (!fd && len > 8) return `classic CAN length ${len} exceeds 8`;
  if (fd && dlcToLength(lengthToDlc(len)) !== len) return `CAN FD length ${len} is not a valid FD length`;
  frame.data = Buffer.from(bytes);
  frame.dlc = m[2] !== undefined ? parseInt(m[2], 16) : lengthToDlc(len);
  return frame;
}

/** Creates the per-file state used by `parseCandumpLine`. */
export function newCandumpParseState(): CandumpParseState {
  return { lastTimeUs: Number.NEGATIVE_INFINITY };
}

/** Parses one candump line (any supported form). */
export function parseCandumpLine(line: string, opts: CandumpTimeOptions = {}, state: CandumpParseState = newCandumpParseState()): CandumpLineResult {
  let s = line.trim();
  if (s.length === 0 || s[0] === '#') return { kind: 'skip' };
  let ts = Number.NaN;
  if (s[0] === '(') {
    const close = s.indexOf(')');
    if (close < 0) return { kind: 'error', reason: "timestamp '(' is not closed" };
    ts = resolveTimestamp(s.slice(1, close), opts, state);
    if (Number.isNaN(ts)) return { kind: 'error', reason: `timestamp '${printable(s.slice(1, close))}' is neither 'sec.usec' nor 'YYYY-MM-DD hh:mm:ss.usec'` };
    if (ts < MIN_EVENT_TIME_MS * 1000 || ts >= MAX_EVENT_TIME_MS * 1000) return { kind: 'error', reason: `timestamp '${printable(s.slice(1, close))}' is outside 1970-01-01..2200-01-01` };
    s = s.slice(close + 1).trim();
  } else {
    ts = opts.baseTimeUs ?? 0;
  }
  const tokens = s.split(/\s+/);
  if (tokens.length < 2) return { kind: 'error', reason: 'expected an interface and a frame' };
  if (tokens[0]!.length > MAX_IFACE_CHARS) return { kind: 'error', reason: `interface name '${printable(tokens[0]!)}' is longer than ${MAX_IFACE_CHARS} characters (Linux IFNAMSIZ)` };
  let res: CanFrame | string;
  if (tokens[1]!.includes('#')) {
    // Log form; candump may append a direction flag (T/R) after the frame.
    if (tokens.length > 3 || (tokens.length === 3 && !/^[TR]$/.test(tokens[2]!))) return { kind: 'error', reason: `unexpected text after frame: '${printable(tokens.slice(2).join(' '))}'` };
    res = parseCompactFrame(tokens[1]!, tokens[0]!, ts);
  } else {
    res = parseScreenForm(tokens, ts);
  }
  return typeof res === 'string' ? { kind: 'error', reason: res } : { kind: 'frame', frame: res };
}
