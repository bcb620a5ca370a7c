/**
 * The producer's in-memory CAN frame: the fields of the CanFrame Avro record plus the
 * interface it was captured on. Kept flat and Buffer-backed so parsing and batching
 * stay allocation-light on the hot path.
 */

/** One captured CAN / CAN FD frame (timestamps in epoch microseconds). */
export interface CanFrame {
  timestampUs: number;
  /** Interface / logical bus name as captured (candump's `can0`, or the simulator's bus name). */
  iface: string;
  /** Arbitration id without flag bits; for error frames the error class bits (CAN_ERR_MASK part). */
  id: number;
  extended: boolean;
  fd: boolean;
  brs: boolean;
  /** CAN FD error state indicator (not in the Avro record; kept for round trips). */
  esi: boolean;
  rtr: boolean;
  error: boolean;
  dlc: number;
  data: Buffer;
}

/** CAN_ERR_FLAG of linux/can.h: marks an error frame in the 32-bit can_id. */
export const CAN_ERR_FLAG = 0x20000000;

const DLC_TO_LEN = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64] as const;

/** Payload length in bytes for a data length code (CAN FD table for 9..15). */
export function dlcToLength(dlc: number): number {
  return DLC_TO_LEN[dlc & 0x0f]!;
}

/** Smallest data length code whose payload holds `len` bytes (CAN FD rounding). */
export function lengthToDlc(len: number): number {
  if (len <= 8) return len;
  for (let dlc = 9; dlc < 16; dlc++) if (DLC_TO_LEN[dlc]! >= len) return dlc;
  return 15;
}

/** Formats one frame in candump's `-L` log form (`(sec.usec) iface ID#DATA`). */
export function formatCandumpLog(f: CanFrame): string {
  const sec = Math.floor(f.timestampUs / 1e6);
  const usec = f.timestampUs - sec * 1e6;
  const ts = `(${sec}.${String(usec).padStart(6, '0')})`;
  let id: string;
  if (f.error) id = ((f.id | CAN_ERR_FLAG) >>> 0).toString(16).toUpperCase().padStart(8, '0');
  else if (f.extended) id = f.id.toString(16).toUpperCase().padStart(8, '0');
  else id = f.id.toString(16).toUpperCase().padStart(3, '0');
  let body: string;
  if (f.rtr) body = f.dlc > 0 ? `R${f.dlc}` : 'R';
  else if (f.fd) body = `#${((f.brs ? 1 : 0) | (f.esi ? 2 : 0)).toString(16).toUpperCase()}${f.data.toString('hex').toUpperCase()}`;
  else body = f.data.toString('hex').toUpperCase();
  return `${ts} ${f.iface} ${id}#${body}`;
}
