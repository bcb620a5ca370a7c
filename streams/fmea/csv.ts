/**
 * CSV import/export of worksheets, for quality engineers who keep FMEAs in spreadsheets.
 * One row per entry; list columns join with " | "; recommended actions as
 * "id: description [owner; kind]" joined with " | "; the evidence condition travels as
 * compact JSON in one column (it is structured data and must round-trip exactly).
 * RFC 4180 quoting. Import produces YAML text, which then goes through normal lint.
 */
import { parseDocument, stringify } from 'yaml';
import { issueToError } from '../processors/fmea/rule-issue.ts';
import { parseWorksheet } from '../processors/fmea/worksheet-parser.ts';
import { ErrorCodes, SourceLocationError } from '../errors.ts';

export const CSV_COLUMNS = [
  'id', 'item', 'function', 'failureMode', 'effect', 'cause', 'severity', 'occurrence', 'detection',
  'preventionControls', 'detectionControls', 'actions', 'scopes', 'occurrenceFromField', 'evidence',
] as const;

const SEP = ' | ';

function csvField(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** Parses RFC 4180 CSV into rows (with 1-based line numbers of each row's start). */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cur = '';
  let inQ = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inQ) {
      if (ch === '"' && text[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') inQ = false;
      else { if (ch === '\n') line++; cur += ch; }
    } else if (ch === '"') inQ = true;
    else if (ch === ',') { cells.push(cur); cur = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(cur); cur = '';
      if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells });
      cells = [];
      line++;
      rowLine = line;
    } else cur += ch;
  }
  if (cur !== '' || cells.length > 0) { cells.push(cur); rows.push({ line: rowLine, cells }); }
  return rows;
}

type Json = Record<string, unknown>;

// A CSV row stands alone, so worksheet defaults are folded into each entry on export.
function applyDefaults(e: Json, d: Json): Json {
  const out: Json = { ...e };
  if (out['scopes'] === undefined && d['scopes'] !== undefined) out['scopes'] = d['scopes'];
  if (out['occurrenceFromField'] === undefined && d['occurrenceFromField'] !== undefined) out['occurrenceFromField'] = d['occurrenceFromField'];
  const ev = out['evidence'] as Json | undefined;
  if (ev && d['within'] !== undefined && ev['within'] === undefined) {
    out['evidence'] = 'all' in ev || 'any' in ev ? { ...ev, within: d['within'] } : { all: [ev], within: d['within'] };
  }
  return out;
}

/** Worksheet YAML text → CSV text (header + one row per entry); a worksheet lint refuses is RULE_INVALID at its first error. */
export function worksheetYamlToCsv(yamlText: string, file = '<worksheet>'): string {
  // Through the worksheet parser first: its limits (an alias bomb, a huge file) and one located error instead of an exception.
  const first = parseWorksheet(file, yamlText).issues.find((i) => i.severity === 'error');
  if (first) throw issueToError(first);
  const ws = parseDocument(yamlText).toJS() as Json;
  const lines = [CSV_COLUMNS.join(',')];
  const defaults = (ws['defaults'] ?? {}) as Json;
  for (const raw of (ws['entries'] as Json[] | undefined) ?? []) {
    const e = applyDefaults(raw, defaults);
    const controls = (e['controls'] ?? {}) as Json;
    const actions = ((e['actions'] as Json[] | undefined) ?? []).map((a) => `${String(a['id'])}: ${String(a['description'])} [${String(a['owner'])}; ${String(a['kind'])}]`);
    const row: Record<(typeof CSV_COLUMNS)[number], string> = {
      id: String(e['id']), item: String(e['item']), function: String(e['function']), failureMode: String(e['failureMode']),
      effect: String(e['effect']), cause: String(e['cause']), severity: String(e['severity']), occurrence: String(e['occurrence']),
      detection: String(e['detection']), preventionControls: ((controls['prevention'] as string[] | undefined) ?? []).join(SEP),
      detectionControls: ((controls['detection'] as string[] | undefined) ?? []).join(SEP), actions: actions.join(SEP),
      scopes: ((e['scopes'] as string[] | undefined) ?? []).join(SEP),
      occurrenceFromField: e['occurrenceFromField'] === undefined ? '' : String(e['occurrenceFromField']),
      evidence: JSON.stringify(e['evidence']),
    };
    lines.push(CSV_COLUMNS.map((c) => csvField(row[c])).join(','));
  }
  return lines.join('\n') + '\n';
}

/** CSV text → worksheet YAML text; malformed cells raise SourceLocationError with line and column name. */
export function csvToWorksheetYaml(csvText: string, opts: { file: string; worksheet: string; title?: string; kind?: string }): string {
  const rows = parseCsv(csvText);
  const header = rows.shift();
  if (!header) throw new SourceLocationError(ErrorCodes.PARSE_ERROR, 'empty CSV', { file: opts.file, line: 1 });
  const idx = new Map(header.cells.map((c, i) => [c.trim(), i]));
  for (const c of ['id', 'item', 'function', 'failureMode', 'effect', 'cause', 'severity', 'occurrence', 'detection', 'evidence']) {
    if (!idx.has(c)) throw new SourceLocationError(ErrorCodes.PARSE_ERROR, `missing column '${c}'`, { file: opts.file, line: header.line, field: c });
  }
  const list = (s: string | undefined): string[] => (s ?? '').split(SEP).map((x) => x.trim()).filter(Boolean);
  const entries = rows.map((r) => {
    const get = (c: string): string | undefined => { const i = idx.get(c); return i === undefined ? undefined : r.cells[i]; };
    const rating = (c: string): number => {
      const v = Number(get(c));
      if (!Number.isInteger(v)) throw new SourceLocationError(ErrorCodes.PARSE_ERROR, `${c} must be an integer 1-10, got '${get(c) ?? ''}'`, { file: opts.file, line: r.line, field: c });
      return v;
    };
    let evidence: unknown;
    try {
      evidence = JSON.parse(get('evidence') ?? '');
    } catch (err) {
      throw new SourceLocationError(ErrorCodes.PARSE_ERROR, `evidence must be JSON: ${(err as Error).message}`, { file: opts.file, line: r.line, field: 'evidence' });
    }
    const actions = list(get('actions')).map((a) => {
      const m = /^([^:]+):\s*(.*?)\s*\[([^;\]]+);\s*([^\]]+)\]$/.exec(a);
      if (!m) throw new SourceLocationError(ErrorCodes.PARSE_ERROR, `action '${a}' must read 'id: description [owner; kind]'`, { file: opts.file, line: r.line, field: 'actions' });
      return { id: m[1]!.trim(), description: m[2]!, owner: m[3]!.trim(), kind: m[4]!.trim() };
    });
    const entry: Json = {
      id: get('id'), item: get('item'), function: get('function'), failureMode: get('failureMode'), effect: get('effect'), cause: get('cause'),
      severity: rating('severity'), occurrence: rating('occurrence'), detection: rating('detection'),
    };
    const prevention = list(get('preventionControls'));
    const detection = list(get('detectionControls'));
    if (prevention.length || detection.length) entry['controls'] = { prevention, detection };
    if (actions.length) entry['actions'] = actions;
    const scopes = list(get('scopes'));
    if (scopes.length) entry['scopes'] = scopes;
    const off = get('occurrenceFromField');
    if (off === 'true' || off === 'false') entry['occurrenceFromField'] = off === 'true';
    entry['evidence'] = evidence;
    return entry;
  });
  const doc = { worksheet: opts.worksheet, ...(opts.title ? { title: opts.title } : {}), kind: opts.kind ?? 'DFMEA', entries };
  return `# Imported from ${opts.file}; run \`fmeaflow rules lint\` before publishing.\n${stringify(doc, { lineWidth: 0 })}`;
}
