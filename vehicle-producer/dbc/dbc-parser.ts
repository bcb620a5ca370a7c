/**
 * DBC (Vector CAN database) parser. Reads the statements that change how frames are
 * decoded — BO_, SG_ (incl. `M`, `mN`, `mNM` multiplexing), VAL_, SIG_VALTYPE_,
 * SG_MUL_VAL_ (extended multiplexing), BA_DEF_DEF_/BA_ (GenMsgCycleTime, VFrameFormat) —
 * and skips the rest by statement. Anything malformed raises DBC_INVALID with file+line.
 */
import { readFileSync, statSync } from 'node:fs';
import { ErrorCodes, FmeaflowError, SourceLocationError } from '../../streams/errors.ts';
import { printable } from '../../streams/untrusted-text.ts';
import { type DbcDatabase, type DbcMessage, type DbcSignal } from './dbc-types.ts';

/** Statements that are a single line with no `;` terminator. */
const LINE_STATEMENTS = new Set(['VERSION', 'NS_', 'BS_', 'BU_', 'BO_', 'SG_']);
/** Statements we accept and ignore (all `;`-terminated). */
const IGNORED_STATEMENTS = new Set([
  'CM_', 'BA_DEF_', 'VAL_TABLE_', 'BO_TX_BU_', 'EV_', 'ENVVAR_DATA_', 'SIG_GROUP_', 'BA_DEF_REL_', 'BA_REL_',
  'BA_DEF_DEF_REL_', 'BA_DEF_SGTYPE_', 'BA_SGTYPE_', 'SGTYPE_', 'SGTYPE_VAL_', 'SIG_TYPE_REF_', 'SIGTYPE_VALTYPE_',
  'CAT_DEF_', 'CAT_', 'FILTER', 'NS_DESC_', 'EV_DATA_', 'BU_SG_REL_', 'BU_EV_REL_', 'BU_BO_REL_',
]);

const SG_RE =
  /^SG_\s+(\w+)\s*(M|m\d+M?)?\s*:\s*(\d+)\s*\|\s*(\d+)\s*@\s*([01])\s*([+-])\s*\(\s*([^,\s]+)\s*,\s*([^)\s]+)\s*\)\s*\[\s*([^|\s]+)\s*\|\s*([^\]\s]+)\s*\]\s*"((?:[^"\\]|\\.)*)"\s*(.*)$/;
const BO_RE = /^BO_\s+(\d+)\s+(\w+)\s*:\s*(\d+)\s+(\S+)\s*$/;

interface PendingMux { sig: string; switchName: string; ids: number[] }

function fail(file: string, line: number, message: string, field?: string): never {
  throw new SourceLocationError(ErrorCodes.DBC_INVALID, message, { file, line, ...(field ? { field: printable(field) } : {}) });
}

function num(file: string, line: number, s: string, field: string): number {
  const v = Number(s);
  if (!Number.isFinite(v)) fail(file, line, `'${printable(s)}' is not a number`, field);
  return v;
}

/** Largest standard (11-bit) and extended (29-bit) CAN ids. */
const MAX_STANDARD_ID = 0x7ff;
const MAX_EXTENDED_ID = 0x1fffffff;
/** Vector's pseudo message holding signals of no message (id 0xC0000000); it is never on a bus. */
const INDEPENDENT_SIGNALS_ID = 0xc0000000;
/** Switch values one signal may list over its SG_MUL_VAL_ ranges: each is kept, so a range like 0-3000000000 must be refused. */
export const MAX_MUX_IDS_PER_SIGNAL = 65_536;
/** Longest message or signal name and unit: they become metric label values and units (Vector's own limit is 32). */
export const MAX_DBC_NAME_CHARS = 256;
/** Largest DBC file read: real vehicle DBCs are a few MB at most. */
export const MAX_DBC_BYTES = 64 * 1024 * 1024;

/** First bit after a signal, in MSB-first (big endian) or LSB-first (little endian) bit order of the payload. */
function bitEnd(s: DbcSignal): number {
  return s.byteOrder === 'little_endian' ? s.startBit + s.length : 8 * (s.startBit >> 3) + (7 - (s.startBit & 7)) + s.length;
}

/** Index of the `;` ending a statement that starts at `text[from]`, ignoring `;` inside quotes. */
function statementEnd(text: string, from: number): number {
  let inQuote = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 && inQuote) i++; // backslash escape
    else if (c === 34) inQuote = !inQuote;
    else if (c === 59 && !inQuote) return i;
  }
  return -1;
}

/** Parses DBC text; `file` is used in error messages only. */
export function parseDbc(text: string, file = '<dbc>'): DbcDatabase {
  // Lone-CR line ends would make the whole file one VERSION line: every message silently lost.
  // A UTF-8 byte-order mark (read as latin1, or as U+FEFF) is not part of the first statement.
  text = text.replace(/^(?:\ufeff|\u00ef\u00bb\u00bf)/, '').replace(/\r\n?/g, '\n');
  const messages: DbcMessage[] = [];
  const byKey = new Map<number, DbcMessage>();
  const valueTypes: { key: number; sig: string; t: number; line: number }[] = [];
  const choices: { key: number; sig: string; map: Map<number, string>; line: number }[] = [];
  const muxVals: (PendingMux & { key: number; line: number })[] = [];
  const msgAttrs = new Map<string, Map<number, string>>();
  const attrDefaults = new Map<string, string>();
  const enumDefs = new Map<string, string[]>();

  const longSignalNames: { key: number; sig: string; long: string; line: number }[] = [];
  const rawIds = new Map<DbcMessage, number>();
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  const lineOf = (pos: number): number => {
    let lo = 0, hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid; else hi = mid - 1;
    }
    return lo + 1;
  };

  let current: DbcMessage | null = null;
  let inNs = false;
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl < 0 ? text.length : nl;
    const raw = text.slice(pos, lineEnd).replace(/\r$/, '');
    const line = lineOf(pos);
    const trimmed = raw.trim();
    if (trimmed === '') { pos = lineEnd + 1; continue; }
    if (inNs && /^\s/.test(raw)) { pos = lineEnd + 1; continue; }
    inNs = false;
    const kw = /^[A-Za-z_]+/.exec(trimmed)?.[0] ?? '';
    if (LINE_STATEMENTS.has(kw)) {
      if (kw === 'NS_') inNs = true;
      else if (kw === 'BO_') {
        const m = BO_RE.exec(trimmed);
        if (!m) fail(file, line, `malformed message definition '${printable(trimmed)}' (expected 'BO_ <id> <name>: <dlc> <sender>')`, 'BO_');
        const rawId = Number(m[1]);
        const extended = rawId >= 0x80000000;
        const frameId = extended ? rawId - 0x80000000 : rawId;
        const msg: DbcMessage = { frameId, extended, name: m[2]!, length: Number(m[3]), sender: m[4]!, signals: [], cycleTimeMs: null, fd: false, line };
        if (msg.length > 64) fail(file, line, `message ${printable(msg.name)} length ${printable(m[3]!)} exceeds 64 bytes`, 'dlc');
        // The pseudo message is kept (attributes and VAL_ refer to it); no frame can carry its id.
        if (rawId !== INDEPENDENT_SIGNALS_ID && (extended ? frameId > MAX_EXTENDED_ID : frameId > MAX_STANDARD_ID)) {
          fail(file, line, `message ${printable(msg.name)} id ${printable(m[1]!)} is out of range: standard ids are 0-2047 (0x7FF), extended ids are written with bit 31 set (2147483648 + 0-0x1FFFFFFF)`, 'BO_');
        }
        const dup = byKey.get(rawId);
        if (dup) fail(file, line, `message ${printable(msg.name)} has id ${rawId}, already used by ${printable(dup.name)} at line ${dup.line}; a DBC defines each id once`, 'BO_');
        current = msg;
        messages.push(msg);
        byKey.set(rawId, msg);
        rawIds.set(msg, rawId);
      } else if (kw === 'SG_') {
        if (!current) fail(file, line, 'signal outside of a message (SG_ before any BO_)', 'SG_');
        const m = SG_RE.exec(trimmed);
        if (!m) fail(file, line, `malformed signal '${printable(trimmed)}' (expected 'SG_ name [M|mN] : start|len@order sign (scale,offset) [min|max] "unit" receivers')`, 'SG_');
        const mux = m[2] ?? '';
        const sig: DbcSignal = {
          name: m[1]!,
          startBit: Number(m[3]),
          length: Number(m[4]),
          byteOrder: m[5] === '1' ? 'little_endian' : 'big_endian',
          signed: m[6] === '-',
          valueType: 'int',
          scale: num(file, line, m[7]!, `${m[1]}.scale`),
          offset: num(file, line, m[8]!, `${m[1]}.offset`),
          min: num(file, line, m[9]!, `${m[1]}.min`),
          max: num(file, line, m[10]!, `${m[1]}.max`),
          unit: m[11]!,
          receivers: m[12]!.split(/[\s,]+/).filter(Boolean),
          isMultiplexer: mux === 'M' || mux.endsWith('M'),
          multiplexerSignal: null,
          multiplexerIds: mux.startsWith('m') ? [parseInt(mux.slice(1), 10)] : [],
          choices: new Map(),
          line,
        };
        if (sig.length < 1 || sig.length > 64) fail(file, line, `signal ${printable(sig.name)} length ${printable(m[4]!)} must be 1-64`, `${sig.name}.length`);
        if (sig.startBit >= 512) fail(file, line, `signal ${printable(sig.name)} start bit ${printable(m[3]!)} is beyond the 512 bits of the largest (64-byte) message`, `${sig.name}.startBit`);
        current.signals.push(sig);
      }
      pos = lineEnd + 1;
      continue;
    }
    current = null;
    if (!IGNORED_STATEMENTS.has(kw) && !['BA_', 'BA_DEF_DEF_', 'VAL_', 'SIG_VALTYPE_', 'SG_MUL_VAL_', 'BA_DEF_'].includes(kw)) {
      fail(file, line, `unknown statement '${printable(trimmed, 40)}'`, kw || undefined);
    }
    const end = statementEnd(text, pos);
    if (end < 0) fail(file, line, `statement ${kw} is not terminated by ';'`, kw);
    const stmt = text.slice(pos, end).replace(/\s+/g, ' ').trim();
    if (kw === 'VAL_') {
      const m = /^VAL_ (\d+) (\w+) (.*)$/.exec(stmt);
      if (m) {
        const map = new Map<number, string>();
        const re = /(-?\d+(?:\.\d+)?)\s*"((?:[^"\\]|\\.)*)"/g;
        let v: RegExpExecArray | null;
        while ((v = re.exec(m[3]!)) !== null) map.set(Number(v[1]), v[2]!);
        choices.push({ key: Number(m[1]), sig: m[2]!, map, line });
      } // VAL_ on environment variables (no numeric id) does not affect frames.
    } else if (kw === 'SIG_VALTYPE_') {
      const m = /^SIG_VALTYPE_ (\d+) (\w+) ?:? ?([0-3])$/.exec(stmt);
      if (!m) fail(file, line, `malformed SIG_VALTYPE_ '${printable(stmt)}'`, 'SIG_VALTYPE_');
      valueTypes.push({ key: Number(m[1]), sig: m[2]!, t: Number(m[3]), line });
    } else if (kw === 'SG_MUL_VAL_') {
      const m = /^SG_MUL_VAL_ (\d+) (\w+) (\w+) (.*)$/.exec(stmt);
      if (!m) fail(file, line, `malformed SG_MUL_VAL_ '${printable(stmt)}'`, 'SG_MUL_VAL_');
      const ids: number[] = [];
      for (const r of m[4]!.split(',')) {
        const rm = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(r);
        if (!rm) fail(file, line, `bad multiplexer range '${printable(r.trim())}' (expected 'a-b')`, 'SG_MUL_VAL_');
        const lo = Number(rm[1]);
        const hi = Number(rm[2]);
        if (hi < lo) fail(file, line, `multiplexer range '${printable(r.trim())}' ends before it starts`, 'SG_MUL_VAL_');
        if (hi - lo + 1 > MAX_MUX_IDS_PER_SIGNAL - ids.length) fail(file, line, `multiplexer ranges of ${printable(m[2]!)} list more than ${MAX_MUX_IDS_PER_SIGNAL} switch values`, 'SG_MUL_VAL_');
        for (let i = lo; i <= hi; i++) ids.push(i);
      }
      muxVals.push({ key: Number(m[1]), sig: m[2]!, switchName: m[3]!, ids, line });
    } else if (kw === 'BA_DEF_DEF_') {
      const m = /^BA_DEF_DEF_ "([^"]+)" "?([^"]*)"?$/.exec(stmt);
      if (m) attrDefaults.set(m[1]!, m[2]!);
    } else if (kw === 'BA_DEF_') {
      const m = /^BA_DEF_ BO_ "([^"]+)" ENUM (.*)$/.exec(stmt);
      if (m) enumDefs.set(m[1]!, [...m[2]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!));
    } else if (kw === 'BA_') {
      const ls = /^BA_ "SystemSignalLongSymbol" SG_ (\d+) (\w+) "([^"]*)"$/.exec(stmt);
      if (ls) longSignalNames.push({ key: Number(ls[1]), sig: ls[2]!, long: ls[3]!, line });
      const m = /^BA_ "([^"]+)" BO_ (\d+) "?([^"]*)"?$/.exec(stmt);
      if (m) {
        let per = msgAttrs.get(m[1]!);
        if (!per) msgAttrs.set(m[1]!, (per = new Map()));
        per.set(Number(m[2]), m[3]!.trim());
      }
    }
    pos = end + 1;
    // Skip the rest of the line after ';' when it is blank.
    const restNl = text.indexOf('\n', pos);
    if (restNl >= 0 && text.slice(pos, restNl).trim() === '') pos = restNl + 1;
  }

  const sigOf = (key: number, name: string, line: number, what: string): DbcSignal => {
    const msg = byKey.get(key);
    if (!msg) fail(file, line, `${what} refers to unknown message id ${key}`, what);
    const s = msg.signals.find((x) => x.name === name);
    if (!s) fail(file, line, `${what} refers to unknown signal ${printable(name)} of message ${printable(msg.name)}`, what);
    return s;
  };
  for (const v of valueTypes) {
    const s = sigOf(v.key, v.sig, v.line, 'SIG_VALTYPE_');
    if (v.t === 1) { if (s.length !== 32) fail(file, v.line, `float signal ${s.name} must be 32 bits, is ${s.length}`, s.name); s.valueType = 'float32'; }
    else if (v.t === 2) { if (s.length !== 64) fail(file, v.line, `double signal ${s.name} must be 64 bits, is ${s.length}`, s.name); s.valueType = 'float64'; }
  }
  for (const c of choices) {
    const msg = byKey.get(c.key);
    const s = msg?.signals.find((x) => x.name === c.sig);
    if (s) s.choices = c.map; // VAL_ for unknown signals is tolerated, as cantools does.
  }
  // Simple multiplexing: `mN` signals hang off the message's `M` switch.
  for (const msg of messages) {
    const top = msg.signals.find((s) => s.isMultiplexer && s.multiplexerIds.length === 0);
    for (const s of msg.signals) if (s.multiplexerIds.length > 0) {
      if (!top) fail(file, s.line, `signal ${s.name} is multiplexed but message ${msg.name} has no multiplexer (M) signal`, s.name);
      s.multiplexerSignal = top.name;
    }
  }
  // Extended multiplexing overrides the switch and the id set.
  const seenMux = new Set<string>();
  for (const v of muxVals) {
    const s = sigOf(v.key, v.sig, v.line, 'SG_MUL_VAL_');
    const sw = sigOf(v.key, v.switchName, v.line, 'SG_MUL_VAL_');
    if (!sw.isMultiplexer) fail(file, v.line, `SG_MUL_VAL_ switch ${sw.name} is not a multiplexer signal`, sw.name);
    const k = `${v.key}/${v.sig}`;
    s.multiplexerSignal = sw.name;
    s.multiplexerIds = seenMux.has(k) ? [...s.multiplexerIds, ...v.ids] : v.ids;
    seenMux.add(k);
  }
  const cycleDefault = Number(attrDefaults.get('GenMsgCycleTime') ?? '0');
  const cycle = msgAttrs.get('GenMsgCycleTime');
  const frameFormat = msgAttrs.get('VFrameFormat');
  const formats = enumDefs.get('VFrameFormat');
  for (const msg of messages) {
    const key = rawIds.get(msg)!;
    // Vector tools cut names at 32 characters and keep the full one in an attribute; cantools uses the full one.
    const longName = msgAttrs.get('SystemMessageLongSymbol')?.get(key);
    if (longName) msg.name = longName;
    const ct = cycle?.has(key) ? Number(cycle.get(key)) : cycleDefault;
    msg.cycleTimeMs = Number.isFinite(ct) && ct > 0 ? ct : null;
    const ff = frameFormat?.has(key) ? frameFormat.get(key)! : attrDefaults.get('VFrameFormat');
    const ffName = ff !== undefined && /^\d+$/.test(ff) && formats ? formats[Number(ff)] : ff;
    msg.fd = ffName !== undefined && ffName.endsWith('_FD');
    for (const s of msg.signals) {
      // Same rule as cantools: a signal must lie inside its message, in either byte order.
      if (bitEnd(s) > msg.length * 8 && msg.length > 0) {
        const order = s.byteOrder === 'little_endian' ? 'little-endian' : 'big-endian';
        fail(file, s.line, `${order} signal ${printable(s.name)} (start bit ${s.startBit}, ${s.length} bits) does not fit in ${msg.length}-byte message ${printable(msg.name)}`, s.name);
      }
    }
  }
  for (const l of longSignalNames) {
    const msg = byKey.get(l.key);
    const sig = msg?.signals.find((x) => x.name === l.sig);
    if (!msg || !sig) continue;
    for (const x of msg.signals) if (x.multiplexerSignal === sig.name) x.multiplexerSignal = l.long;
    sig.name = l.long;
  }
  for (const msg of messages) {
    if (msg.name.length > MAX_DBC_NAME_CHARS) fail(file, msg.line, `message name '${printable(msg.name)}' is longer than ${MAX_DBC_NAME_CHARS} characters`, 'BO_');
    for (const s of msg.signals) {
      if (s.name.length > MAX_DBC_NAME_CHARS) fail(file, s.line, `signal name '${printable(s.name)}' is longer than ${MAX_DBC_NAME_CHARS} characters`, 'SG_');
      if (s.unit.length > MAX_DBC_NAME_CHARS) fail(file, s.line, `unit of ${printable(s.name)} is longer than ${MAX_DBC_NAME_CHARS} characters`, 'SG_');
    }
  }
  return { file, messages };
}

/**
 * Reads and parses a DBC file (latin1, as Vector tools write it). A path that is no
 * readable file, or a file over MAX_DBC_BYTES, is DBC_INVALID naming the path.
 */
export function loadDbcFile(path: string): DbcDatabase {
  let text: string;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new FmeaflowError(ErrorCodes.DBC_INVALID, `${path}: is a folder, not a DBC file; give the .dbc files in it (several separated by commas)`);
    if (st.size > MAX_DBC_BYTES) throw new FmeaflowError(ErrorCodes.DBC_INVALID, `${path}: ${st.size} bytes is larger than the ${MAX_DBC_BYTES / 1024 / 1024} MiB a DBC file may have`);
    text = readFileSync(path, 'latin1');
  } catch (err) {
    if (err instanceof FmeaflowError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new FmeaflowError(ErrorCodes.DBC_INVALID, `${path}: cannot be read (${e.code ?? e.message})`, { cause: err });
  }
  return parseDbc(text, path);
}
