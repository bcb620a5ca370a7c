/**
 * Reads a CAN network file (config/can-networks.yaml, schema config/can-networks.schema.json):
 * per vehicle model and bus, the DBC files, bitrates and the periodic messages every vehicle
 * of the model must send, into the `CanNetworks` the CAN feature processor judges against.
 * YAML syntax, the JSON Schema (ajv) and the meaning (DBC files exist and parse, periodic
 * messages exist and have a cycle time) are checked; every problem is one error naming the
 * file, line, column and field (CAN_NETWORK_INVALID; a DBC that does not parse is DBC_INVALID
 * at its own file and line).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import schema from '../config/can-networks.schema.json' with { type: 'json' };
import { loadDbcFile } from '../vehicle-producer/dbc/dbc-parser.ts';
import type { DbcMessage } from '../vehicle-producer/dbc/dbc-types.ts';
import { ErrorCodes, FmeaflowError, SourceLocationError } from './errors.ts';
import type { BusNetwork, CanNetworks } from './processors/can/can-network.ts';
import { fieldName, locate, schemaIssue, type Path } from './processors/suppression/policy-file.ts';
import { PROJECT_ROOT } from './config/project-root.ts';

/** The bundled network file: the simulated fleet's models. */
export const DEFAULT_CAN_NETWORK_FILE = path.join(PROJECT_ROOT, 'config', 'can-networks.yaml');

const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

interface RawBus { dbc: string | string[]; bitrate: number; dataBitrate?: number; periodic?: (string | number)[] }

/** DLC code of a payload length (CAN FD lengths above 8 bytes have their own codes). */
function dlcOfLength(len: number): number {
  if (len <= 8) return len;
  const fd = [12, 16, 20, 24, 32, 48, 64].indexOf(len);
  return fd < 0 ? 15 : 9 + fd;
}

/** Reads and checks a network file; throws CONFIG_INVALID (unreadable), CAN_NETWORK_INVALID or DBC_INVALID. */
export function loadCanNetworkFile(file: string = DEFAULT_CAN_NETWORK_FILE): CanNetworks {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? String(err)})`;
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `CAN network file ${file}: ${what}; pass a YAML network file with --can-network <file> (the bundled one is config/can-networks.yaml)`, { details: { file } });
  }
  return parseCanNetworkFile(text, file);
}

/** Parses the text of a network file; DBC paths are relative to `file`'s folder. */
export function parseCanNetworkFile(text: string, file: string): CanNetworks {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const fail = (p: Path, message: string, key?: string): never => {
    const pos = locate(doc, lc, p, key);
    throw new SourceLocationError(ErrorCodes.CAN_NETWORK_INVALID, message, { file, line: pos.line, column: pos.column, field: fieldName(key ? [...p, key] : p) });
  };
  if (doc.errors.length > 0) {
    const pos = lc.linePos(doc.errors[0]!.pos[0]);
    throw new SourceLocationError(ErrorCodes.CAN_NETWORK_INVALID, doc.errors[0]!.message.split('\n')[0]!, { file, line: pos.line, column: pos.col, field: '(yaml)' });
  }
  const data = doc.toJS() as unknown;
  if (!validate(data)) {
    const i = schemaIssue(doc, lc, file, validate.errors![0]!);
    throw new SourceLocationError(ErrorCodes.CAN_NETWORK_INVALID, i.message, { file, line: i.line, column: i.column, field: i.field });
  }
  const dir = path.dirname(file);
  const models = new Map<string, Map<string, BusNetwork>>();
  for (const [model, buses] of Object.entries((data as { models: Record<string, Record<string, RawBus>> }).models)) {
    const out = new Map<string, BusNetwork>();
    for (const [bus, raw] of Object.entries(buses)) {
      const at: Path = ['models', model, bus];
      const dbcs = typeof raw.dbc === 'string' ? [raw.dbc] : raw.dbc;
      const byId = new Map<number, DbcMessage>();
      dbcs.forEach((d, i) => {
        const p = path.resolve(dir, d);
        const where: Path = typeof raw.dbc === 'string' ? [...at, 'dbc'] : [...at, 'dbc', i];
        if (!existsSync(p)) return fail(where, `DBC file ${p}: no such file (paths are relative to the network file)`);
        let messages: readonly DbcMessage[];
        try {
          messages = loadDbcFile(p).messages;
        } catch (err) {
          if (err instanceof SourceLocationError) throw err;
          return fail(where, `DBC file ${p}: ${(err as Error).message.replace(`${p}: `, '')}`);
        }
        for (const m of messages) if (!m.extended) byId.set(m.frameId, m);
      });
      const expectedDlc = new Map([...byId].map(([id, m]) => [id, dlcOfLength(m.length)]));
      const cycleTimesMs = new Map<number, number>();
      if (raw.periodic === undefined) {
        for (const [id, m] of byId) if (m.cycleTimeMs !== null && m.cycleTimeMs > 0) cycleTimesMs.set(id, m.cycleTimeMs);
      } else {
        raw.periodic.forEach((ref, i) => {
          const m = typeof ref === 'number' ? byId.get(ref) : [...byId.values()].find((x) => x.name === ref);
          if (!m) return fail([...at, 'periodic', i], `message ${typeof ref === 'number' ? `0x${ref.toString(16).toUpperCase()}` : JSON.stringify(ref)} is in none of the bus's DBC files (standard ids only)`);
          if (m.cycleTimeMs === null || m.cycleTimeMs <= 0) return fail([...at, 'periodic', i], `message ${m.name} has no GenMsgCycleTime in its DBC, so it cannot be judged as periodic`);
          cycleTimesMs.set(m.frameId, m.cycleTimeMs);
        });
      }
      if (raw.dataBitrate !== undefined && raw.dataBitrate < raw.bitrate) fail([...at, 'dataBitrate'], `the CAN FD data bitrate (${raw.dataBitrate}) is below the nominal bitrate (${raw.bitrate})`);
      out.set(bus, { cycleTimesMs, expectedDlc, bitrateBps: raw.bitrate, ...(raw.dataBitrate !== undefined ? { dataBitrateBps: raw.dataBitrate } : {}) });
    }
    models.set(model, out);
  }
  return models;
}
