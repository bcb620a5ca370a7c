/**
 * The in-memory shape of a DBC database: only what decoding, encoding and the
 * simulator need (layout, scaling, choices, multiplexing, cycle time, FD flag).
 */

/** One signal of a message. */
export interface DbcSignal {
  name: string;
  /** Start bit as written in the DBC (Intel: LSB; Motorola: MSB in sawtooth numbering). */
  startBit: number;
  length: number;
  byteOrder: 'little_endian' | 'big_endian';
  signed: boolean;
  /** `int` unless SIG_VALTYPE_ says IEEE float (1) or double (2). */
  valueType: 'int' | 'float32' | 'float64';
  scale: number;
  offset: number;
  min: number;
  max: number;
  unit: string;
  receivers: string[];
  /** True for a multiplexer switch (`M` or `mNM`). */
  isMultiplexer: boolean;
  /** Switch this signal depends on; null when always present. */
  multiplexerSignal: string | null;
  /** Switch values for which this signal is present (when multiplexerSignal is set). */
  multiplexerIds: number[];
  /** VAL_ table: raw value → name. */
  choices: Map<number, string>;
  /** Line of the SG_ statement. */
  line: number;
}

/** One message (BO_). */
export interface DbcMessage {
  /** Arbitration id without the extended flag. */
  frameId: number;
  extended: boolean;
  name: string;
  /** Payload length in bytes (up to 64 for CAN FD). */
  length: number;
  sender: string;
  signals: DbcSignal[];
  /** GenMsgCycleTime in ms; null when not given (or 0 = not cyclic). */
  cycleTimeMs: number | null;
  /** VFrameFormat is one of the *_FD formats. */
  fd: boolean;
  line: number;
}

/** A parsed DBC file. */
export interface DbcDatabase {
  file: string;
  messages: DbcMessage[];
}

/** Lookup key of a message: id with bit 31 set for extended ids (as the DBC writes it). */
export function messageKey(frameId: number, extended: boolean): number {
  return extended ? frameId + 0x80000000 : frameId;
}
