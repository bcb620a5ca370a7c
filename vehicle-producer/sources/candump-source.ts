/**
 * A candump file as a stream of frames. Bad lines go to the IssueLog with their line
 * number; good lines keep flowing, so one corrupt line never loses a capture.
 *
 * Frames of one interface must come in time order: the producer batches each bus into
 * event-time windows, and a frame older than one already read would open a second batch
 * for a window that was sent (two batches then cover the same time). candump writes every
 * interface in kernel time order, so a frame that goes back is a damaged or edited
 * capture: it is reported and skipped.
 */
import { newCandumpParseState, parseCandumpLine, type CandumpParseState, type CandumpTimeOptions } from './candump-parser.ts';
import { readLines, splitLines, type Line } from './line-reader.ts';
import type { IssueLog } from './source-errors.ts';
import type { CanFrame } from '../can-frame.ts';

/** Per-file reading state: candump time state, and per interface its name (own copy) and last stamp. */
interface FileState {
  parse: CandumpParseState;
  ifaces: Map<string, { name: string; lastUs: number }>;
}

/** The frame of one line, or null after reporting why the line gives none. */
function frameOf([line, text, overLong]: Line, file: string, issues: IssueLog, opts: CandumpTimeOptions, st: FileState): CanFrame | null {
  if (overLong > 0) {
    issues.add({ file, line, reason: `line of ${overLong} characters is longer than any candump line; skipped` });
    return null;
  }
  const r = parseCandumpLine(text, opts, st.parse);
  if (r.kind === 'skip') return null;
  if (r.kind === 'error') {
    issues.add({ file, line, reason: r.reason });
    return null;
  }
  const f = r.frame;
  let iface = st.ifaces.get(f.iface);
  if (iface === undefined) {
    if (st.ifaces.size >= MAX_IFACES) {
      issues.add({ file, line, reason: `more than ${MAX_IFACES} interfaces in one capture; frame skipped` });
      return null;
    }
    // The parsed name is a slice of a 1 MiB read chunk; batch and decoder keys keep it for the whole replay.
    iface = { name: Buffer.from(f.iface, 'utf8').toString('utf8'), lastUs: f.timestampUs };
    st.ifaces.set(iface.name, iface);
  } else if (f.timestampUs < iface.lastUs) {
    issues.add({ file, line, reason: `timestamp ${f.timestampUs} µs is earlier than the previous frame on ${f.iface} (${iface.lastUs} µs); a capture is in time order per interface, frame skipped` });
    return null;
  }
  iface.lastUs = f.timestampUs;
  f.iface = iface.name;
  return f;
}

/** Interfaces one capture may name: a vehicle has a handful of buses; garbage could name millions. */
const MAX_IFACES = 256;

function newFileState(): FileState {
  return { parse: newCandumpParseState(), ifaces: new Map() };
}

/** Streams frames from a candump text file (any supported form, `.gz` allowed). */
export async function* readCandumpFile(file: string, issues: IssueLog, opts: CandumpTimeOptions = {}): AsyncGenerator<CanFrame> {
  const st = newFileState();
  for await (const l of readLines(file, issues)) {
    const f = frameOf(l, file, issues, opts, st);
    if (f) yield f;
  }
}

/** Parses a whole candump text held in memory (tests, small files). */
export function parseCandumpText(text: string, file: string, issues: IssueLog, opts: CandumpTimeOptions = {}): CanFrame[] {
  const st = newFileState();
  const frames: CanFrame[] = [];
  for (const l of splitLines(text)) {
    const f = frameOf(l, file, issues, opts, st);
    if (f) frames.push(f);
  }
  return frames;
}
