/**
 * Avro types parsed from `schemas/*.avsc` with avsc. Logical types are deliberately not
 * registered, so timestamp-millis/-micros stay plain JS numbers (every long we use fits
 * in 2^53) and a value looks the same in processors, JSON files and the replay runtime.
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { AvroBoundError, boundedReadHook } from './bounded-avro.ts';

export type AvroType = avro.Type;

/** Parses an Avro schema (object or JSON text) into an avsc type whose arrays and maps decode bounded (bounded-avro.ts). */
export function parseAvroSchema(schema: unknown): AvroType {
  const obj = typeof schema === 'string' ? JSON.parse(schema) : schema;
  return avro.Type.forSchema(obj as avro.Schema, { typeHook: boundedReadHook });
}

/** Reads and parses one `.avsc` file; the error names the file when it is not valid Avro. */
export function loadAvroSchemaFile(path: string): { type: AvroType; text: string } {
  const text = readFileSync(path, 'utf8');
  try {
    return { type: parseAvroSchema(text), text };
  } catch (err) {
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `${path}: not a valid Avro schema: ${(err as Error).message}`, { cause: err, details: { file: path } });
  }
}

/** Formats an avsc error path (['frames','0','data']) as `frames[0].data`. */
export function formatFieldPath(path: readonly string[]): string {
  let out = '';
  for (const p of path) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(root)' : out;
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined (missing)';
  if (v === null) return 'null';
  if (Buffer.isBuffer(v)) return `bytes(${v.length})`;
  const s = typeof v === 'object' ? JSON.stringify(v) : `${typeof v} ${String(v)}`;
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** Encodes a value to an Avro body; a value not matching the schema raises SERDE_SCHEMA_MISMATCH naming every bad field path. */
export function encodeAvro(type: AvroType, value: unknown, where: string): Buffer {
  const problems: string[] = [];
  const ok = type.isValid(value, {
    errorHook: (path: string[], val: unknown, t: AvroType) => {
      problems.push(`${formatFieldPath(path)}: got ${describe(val)}, expected ${typeName(t)}`);
    },
  });
  if (!ok) {
    throw new FmeaflowError(ErrorCodes.SCHEMA_MISMATCH, `${where}: value does not match schema ${type.name ?? typeName(type)}: ${problems.join('; ')}`, {
      details: { fields: problems },
    });
  }
  return type.toBuffer(value);
}

function typeName(t: AvroType): string {
  return t.name ?? t.typeName;
}

/**
 * Decodes an Avro body written with `writer`, read as `reader` (schema evolution). Memory and CPU stay bounded by the body
 * length when the types come from `parseAvroSchema`: a block-count bomb → SERDE_BLOCK_COUNT_EXCEEDED, truncated input →
 * SERDE_TRUNCATED_PAYLOAD, anything else that does not decode → SERDE_INVALID_BODY.
 */
export function decodeAvro(reader: AvroType, writer: AvroType, resolver: avro.Resolver | undefined, body: Buffer, where: string): unknown {
  let res: { value: unknown; offset: number };
  try {
    res = resolver ? reader.decode(body, 0, resolver) : writer.decode(body, 0);
  } catch (err) {
    if (err instanceof AvroBoundError) {
      throw new FmeaflowError(err.code, `${where}: Avro body (${body.length} bytes) refused: ${err.message}`, { details: { length: body.length } });
    }
    // avsc throws RangeError-ish errors on buffer overreads in some code paths (e.g. long strings).
    const msg = (err as Error).message;
    if (/truncated|out of range|overflow|outside buffer/i.test(msg)) {
      throw new FmeaflowError(ErrorCodes.TRUNCATED_PAYLOAD, `${where}: Avro body truncated (${body.length} bytes): ${msg}`, { cause: err });
    }
    throw new FmeaflowError(ErrorCodes.INVALID_BODY, `${where}: Avro body does not decode with schema ${typeName(writer)}: ${msg}`, { cause: err });
  }
  if (res.offset < 0) {
    throw new FmeaflowError(ErrorCodes.TRUNCATED_PAYLOAD, `${where}: Avro body truncated (${body.length} bytes is shorter than the record needs)`, { details: { length: body.length } });
  }
  if (res.offset !== body.length) {
    throw new FmeaflowError(ErrorCodes.INVALID_BODY, `${where}: ${body.length - res.offset} trailing bytes after the Avro record (wrong schema id for these bytes?)`, { details: { trailing: body.length - res.offset } });
  }
  return res.value;
}
