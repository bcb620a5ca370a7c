/**
 * Keeps bench/RESULTS.md current: each benchmark owns one section (between markers) that it
 * rewrites with its latest table, the command that produced it and the date.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../streams/runtime/stack/stack-config.ts';

const FILE = path.join(PROJECT_ROOT, 'bench', 'RESULTS.md');

/** Replaces (or appends) the section `id` of bench/RESULTS.md. */
export function writeResultSection(id: string, title: string, command: string, body: string): void {
  const start = `<!-- section:${id} -->`;
  const end = `<!-- /section:${id} -->`;
  const date = new Date().toISOString().slice(0, 10);
  const section = `${start}\n## ${title}\n\nCommand: \`${command}\` — ${date}, this machine (2 cores, 24 GiB).\n\n${body}\n${end}`;
  let text = fs.existsSync(FILE) ? fs.readFileSync(FILE, 'utf8') : '# Benchmark results\n\nLatest figures; each section is rewritten by the script named in it.\n';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  text = a >= 0 && b > a ? `${text.slice(0, a)}${section}${text.slice(b + end.length)}` : `${text.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(FILE, text);
}
