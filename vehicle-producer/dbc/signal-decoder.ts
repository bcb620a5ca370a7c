/**
 * Run-time DBC decoding for the producer: frames whose id a DBC knows become signal
 * values, published as GAUGE metrics `can_signal{bus, message, signal}` (unit from the
 * DBC) on the metrics topic, at most one point per signal per `intervalMs` of event time
 * so a 10 ms message does not multiply the record rate. The CanFrameBatch itself is
 * unchanged: every frame, decoded or not, still travels raw. Frames with ids no DBC
 * knows, and payloads a DBC cannot decode (too short, unknown multiplexer value), are
 * counted by id / message so the summary and /metrics say what went undecoded.
 */
import { existsSync } from 'node:fs';
import { ErrorCodes, FmeaflowError } from '../../streams/errors.ts';
import type { CanFrame } from '../can-frame.ts';
import type { MetricRecord } from '../schemas.ts';
import { loadDbcFile } from './dbc-parser.ts';
import { messageKey, type DbcDatabase, type DbcMessage } from './dbc-types.ts';
import { decodeMessage, DbcDecodeError } from './signal-codec.ts';

/** Metric name of decoded signal values. */
export const SIGNAL_METRIC = 'can_signal';

/** Loads DBC files in order; a missing file is a CLI error, a malformed one DBC_INVALID with file and line. */
export function loadDbcFiles(paths: readonly string[]): DbcDatabase[] {
  return paths.map((p) => {
    if (!existsSync(p)) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `DBC file '${p}' does not exist; give a path such as vehicle-producer/dbc/vehicles/hybrid_hatchback.dbc (several separated by commas)`);
    return loadDbcFile(p);
  });
}

/** What the decoder did over a replay. */
export interface DecodeStats {
  decodedFrames: number;
  signalPoints: number;
  /** Data frames whose id is in no DBC, passed through undecoded. */
  unknownFrames: number;
  /** Unknown ids (`0x123`, extended as 8 digits) with their frame counts, most frequent first. */
  unknownIds: [string, number][];
  /** Frames of a known message that did not decode, passed through undecoded. */
  decodeErrors: number;
  /** One reason per failing message with its count, most frequent first. */
  decodeErrorsByMessage: [string, number][];
  /** Ids defined again by a later DBC, which is not used for them: `0x123 in b.dbc (a.dbc used)`. */
  shadowedIds: string[];
}

function idLabel(f: Pick<CanFrame, 'id' | 'extended'>): string {
  return `0x${f.id.toString(16).toUpperCase().padStart(f.extended ? 8 : 3, '0')}`;
}

function sorted(m: Map<string, number>): [string, number][] {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/** What happened to one frame: its signal points (when decoded), or why it was not decoded. */
export type DecodeOutcome = { status: 'decoded'; points: MetricRecord[] } | { status: 'unknown_id' | 'decode_error' | 'not_data'; points: [] };

const NONE = (status: 'unknown_id' | 'decode_error' | 'not_data'): DecodeOutcome => ({ status, points: [] });

/** Decodes frames against a set of DBCs; the first DBC that defines an id wins. */
export class SignalDecoder {
  private readonly byKey = new Map<number, DbcMessage>();
  /** Event time (µs) of the last published point per vehicle/bus/message/signal. */
  private readonly lastPointUs = new Map<string, number>();
  private readonly unknown = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  private decoded = 0;
  private points = 0;
  private unknownCount = 0;
  private errorCount = 0;
  private readonly shadowed: string[] = [];

  constructor(dbs: readonly DbcDatabase[], private readonly intervalMs = 1000) {
    const fileOf = new Map<number, string>();
    for (const db of dbs) for (const m of db.messages) {
      const k = messageKey(m.frameId, m.extended);
      const first = fileOf.get(k);
      if (first === undefined) {
        this.byKey.set(k, m);
        fileOf.set(k, db.file);
      } else {
        this.shadowed.push(`${idLabel({ id: m.frameId, extended: m.extended })} in ${db.file} (${first} used)`);
      }
    }
  }

  /** Signal points to publish for one frame (none for unknown ids, error/remote frames, throttled signals). */
  decode(vehicleId: string, f: CanFrame): DecodeOutcome {
    if (f.error || f.rtr) return NONE('not_data');
    const msg = this.byKey.get(messageKey(f.id, f.extended));
    if (!msg) {
      const id = idLabel(f);
      this.unknown.set(id, (this.unknown.get(id) ?? 0) + 1);
      this.unknownCount++;
      return NONE('unknown_id');
    }
    let values: Record<string, number>;
    try {
      values = decodeMessage(msg, f.data).values;
    } catch (err) {
      if (!(err instanceof DbcDecodeError)) throw err;
      const why = `${idLabel(f)} ${err.message}`;
      this.errors.set(why, (this.errors.get(why) ?? 0) + 1);
      this.errorCount++;
      return NONE('decode_error');
    }
    this.decoded++;
    const out: MetricRecord[] = [];
    const timestampMs = Math.floor(f.timestampUs / 1000);
    for (const s of msg.signals) {
      const v = values[s.name];
      if (v === undefined) continue; // not selected by the multiplexer
      const series = `${vehicleId}\u0000${f.iface}\u0000${msg.name}\u0000${s.name}`;
      const last = this.lastPointUs.get(series);
      if (last !== undefined && f.timestampUs - last < this.intervalMs * 1000) continue;
      this.lastPointUs.set(series, f.timestampUs);
      out.push({ vehicleId, name: SIGNAL_METRIC, labels: { bus: f.iface, message: msg.name, signal: s.name }, kind: 'GAUGE', timestampMs, value: v, histogram: null, unit: s.unit === '' ? null : s.unit });
    }
    this.points += out.length;
    return { status: 'decoded', points: out };
  }

  /** Counters so far. */
  stats(): DecodeStats {
    return { decodedFrames: this.decoded, signalPoints: this.points, unknownFrames: this.unknownCount, unknownIds: sorted(this.unknown), decodeErrors: this.errorCount, decodeErrorsByMessage: sorted(this.errors), shadowedIds: [...this.shadowed] };
  }
}
