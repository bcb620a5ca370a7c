/**
 * A candump file as a stream of frames. Bad lines go to the IssueLog with their line
 * number; good lines keep flowing, so one corrupt line never loses a capture.
 */
import { newCandumpParseState, parseCandumpLine, type CandumpTimeOptions } from './candump-parser.ts';
import { readLines } from './line-reader.ts';
import type { IssueLog } from './source-errors.ts';
import type { CanFrame } from '../can-frame.ts';

/** Streams frames from a candump text file (any supported form, `.gz` allowed). */
export async function* readCandumpFile(file: string, issues: IssueLog, opts: CandumpTimeOptions = {}): AsyncGenerator<CanFrame> {
  const state = newCandumpParseState();
  for await (const [line, text] of readLines(file)) {
    const r = parseCandumpLine(text, opts, state);
    if (r.kind === 'frame') yield r.frame;
    else if (r.kind === 'error') issues.add({ file, line, reason: r.reason });
  }
}

/** Parses a whole candump text held in memory (tests, small files). */
export function parseCandumpText(text: string, file: string, issues: IssueLog, opts: CandumpTimeOptions = {}): CanFrame[] {
  const state = newCandumpParseState();
  const frames: CanFrame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const r = parseCandumpLine(lines[i]!, opts, state);
    if (r.kind === 'frame') frames.push(r.frame);
    else if (r.kind === 'error') issues.add({ file, line: i + 1, reason: r.reason });
  }
  return frames;
}
