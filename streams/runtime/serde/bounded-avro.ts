/**
 * Bounded Avro decoding. avsc trusts the block counts of arrays and maps: a 12-byte body
 * that announces 2^26 CAN frames makes it allocate the array and loop 2^26 times reading
 * past the buffer (heap out of memory), a map count of 2^27 in a 9-byte metric costs
 * seconds of CPU. Strings, bytes and fixed are already safe in avsc (a length past the
 * buffer or a negative one invalidates the tap without allocating), and unions/enums with
 * an index outside the schema throw. Arrays and maps are the only place where a few bytes
 * buy unbounded work, so they get a checked read:
 *
 *  - a block count larger than the bytes left in the body is refused before anything is
 *    allocated (every array item and map entry of our schemas takes at least one byte);
 *  - all blocks of one decode together may hold at most one item per body byte, which
 *    also bounds nested arrays and zero-byte items (arrays of null, empty records);
 *  - a read that ran past the end of the body stops the block at once instead of looping
 *    over garbage.
 *
 * Why a patched read path and not a wrapper or a pre-validating walk (bench/serde-decode.ts,
 * figures in bench/RESULTS.md): a wrapper around `Type.decode` cannot stop an allocation that
 * happens inside it, and a separate walk over the bytes before avsc reads them costs a
 * second pass over every record, while the checks below run once per block and add no
 * measurable cost to a decode. The price is reliance on two avsc internals (`_read` and the
 * tap's `buf`/`pos`); avsc is pinned to an exact version and test/unit/runtime/bounded-avro
 * fails on the poison values if an upgrade bypasses the hook.
 */
import avro from 'avsc';
import { ErrorCodes } from '../../errors.ts';

/** The part of avsc's Tap the checked reads use. */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipLong(): void;
  readString(): string;
  /** Items read so far in this decode (set by the checked reads; avsc makes a fresh tap per decode). */
  fmeaflowItems?: number;
}

interface Readable {
  _read(tap: Tap): unknown;
}

/** Raised inside avsc's read; `decodeAvro` maps it to a typed error. */
export class AvroBoundError extends Error {
  constructor(
    readonly code: typeof ErrorCodes.BLOCK_COUNT_EXCEEDED | typeof ErrorCodes.TRUNCATED_PAYLOAD,
    message: string,
  ) {
    super(message);
    this.name = 'AvroBoundError';
  }
}

/** Reads one block header; returns the item count after checking it against the bytes left. */
function blockCount(tap: Tap, what: string): number {
  let n = tap.readLong();
  if (n < 0) {
    // A negative count is followed by the block's size in bytes.
    n = -n;
    tap.skipLong();
  }
  if (n === 0) return 0;
  const left = tap.buf.length - tap.pos;
  // `!(n <= left)` also refuses NaN, which avsc's readLong yields once it read past the end.
  if (!(n <= left)) throw new AvroBoundError(ErrorCodes.BLOCK_COUNT_EXCEEDED, `${what} block announces ${n} items but only ${Math.max(0, left)} bytes are left`);
  const items = (tap.fmeaflowItems ?? 0) + n;
  if (items > tap.buf.length) throw new AvroBoundError(ErrorCodes.BLOCK_COUNT_EXCEEDED, `${what} blocks announce ${items} items in total, more than the ${tap.buf.length} bytes of the body`);
  tap.fmeaflowItems = items;
  return n;
}

function pastEnd(tap: Tap, what: string): AvroBoundError {
  return new AvroBoundError(ErrorCodes.TRUNCATED_PAYLOAD, `${what} item reads past the end of the ${tap.buf.length}-byte body`);
}

function readArray(this: { itemsType: Readable }, tap: Tap): unknown[] {
  const items = this.itemsType;
  let out: unknown[] | undefined;
  let i = 0;
  let n: number;
  while ((n = blockCount(tap, 'array'))) {
    // Sizing the array on the first block is what avsc does for speed; the count is checked by now.
    out ??= new Array(n);
    while (n--) {
      out[i++] = items._read(tap);
      if (tap.pos > tap.buf.length) throw pastEnd(tap, 'array');
    }
  }
  return out ?? [];
}

function readMap(this: { valuesType: Readable }, tap: Tap): Record<string, unknown> {
  const values = this.valuesType;
  const out: Record<string, unknown> = {};
  let n: number;
  while ((n = blockCount(tap, 'map'))) {
    while (n--) {
      const key = tap.readString();
      // A key "__proto__" from the wire must stay data, not replace the object's prototype.
      if (key === '__proto__') Object.defineProperty(out, key, { value: values._read(tap), enumerable: true, writable: true, configurable: true });
      else out[key] = values._read(tap);
      if (tap.pos > tap.buf.length) throw pastEnd(tap, 'map');
    }
  }
  return out;
}

// avsc freezes its types, so the checked reads live on subclasses' prototypes.
class BoundedArrayType extends avro.types.ArrayType {}
(BoundedArrayType.prototype as unknown as Readable)._read = readArray as never;
class BoundedMapType extends avro.types.MapType {}
(BoundedMapType.prototype as unknown as Readable)._read = readMap as never;

/**
 * avsc type hook giving every array and map of a schema the checked read. Resolvers copy the
 * reader's `_read`, so reads with schema evolution are checked too.
 */
export function boundedReadHook(schema: avro.Schema, opts: avro.ForSchemaOptions): avro.Type | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return undefined;
  const kind = (schema as { type?: unknown }).type;
  if (kind === 'array') return new BoundedArrayType(schema as never, opts as never);
  if (kind === 'map') return new BoundedMapType(schema as never, opts as never);
  return undefined;
}
