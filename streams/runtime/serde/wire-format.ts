/**
 * Confluent wire format: magic byte 0, a 4-byte big-endian schema id, then the Avro
 * binary body. Kept separate from the registry so framing errors get their own codes
 * before anyone asks the registry about a garbage id.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

/** Size of the magic byte + schema id prefix. */
export const HEADER_BYTES = 5;
const MAGIC = 0;

/** Frames an Avro body with the schema id. */
export function frame(schemaId: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  out.writeUInt8(MAGIC, 0);
  out.writeUInt32BE(schemaId, 1);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** Splits a framed payload into schema id and body; typed errors for wrong magic or short input. */
export function unframe(buf: Buffer, where: string): { schemaId: number; body: Buffer } {
  if (buf.length === 0) {
    throw new FmeaflowError(ErrorCodes.TRUNCATED_PAYLOAD, `${where}: empty payload (expected magic byte 0 + 4-byte schema id + Avro body)`);
  }
  if (buf[0] !== MAGIC) {
    throw new FmeaflowError(ErrorCodes.BAD_MAGIC_BYTE, `${where}: magic byte is 0x${buf[0]!.toString(16).padStart(2, '0')}, expected 0x00 (not Confluent wire format — written by a producer without the schema registry serializer?)`, { details: { magicByte: buf[0] } });
  }
  if (buf.length < HEADER_BYTES) {
    throw new FmeaflowError(ErrorCodes.TRUNCATED_PAYLOAD, `${where}: payload has ${buf.length} bytes, shorter than the 5-byte wire-format header`, { details: { length: buf.length } });
  }
  return { schemaId: buf.readUInt32BE(1), body: buf.subarray(HEADER_BYTES) };
}
