/**
 * Live capture from a SocketCAN interface through the optional `socketcan` package
 * (native addon; often not installed or not buildable). Both the package and the
 * interface are checked at start-up and a missing one is reported in plain words
 * with the fix, instead of a stack trace from deep inside the addon.
 */
import { existsSync } from 'node:fs';
import { ErrorCodes, FmeaflowError } from '../../streams/errors.ts';
import { CAN_ERR_FLAG, lengthToDlc, type CanFrame } from '../can-frame.ts';

/** Error code for live capture problems (local: streams/errors.ts is not ours to extend). */
export const SOCKETCAN_UNAVAILABLE = ErrorCodes.BAD_CONFIG;

/** A message as the socketcan package delivers it. */
export interface RawMessage { ts_sec?: number; ts_usec?: number; id: number; ext?: boolean; rtr?: boolean; err?: boolean; canfd?: boolean; data?: Buffer }
interface RawChannel { addListener(ev: 'onMessage', cb: (m: RawMessage) => void): void; start(): void; stop(): void }
interface SocketcanModule { createRawChannel(iface: string, timestamps?: boolean): RawChannel }

/** Why live capture cannot start, or null when it can. */
export async function socketcanProblem(iface: string): Promise<string | null> {
  try {
    await import('socketcan' as string);
  } catch {
    return "the optional package 'socketcan' is not installed (native addon); install it with: npm install --save-exact socketcan@4.3.1 (needs a C++ toolchain and Linux headers)";
  }
  if (!existsSync(`/sys/class/net/${iface}`)) return `CAN interface '${iface}' does not exist; create a virtual one with: sudo ip link add dev ${iface} type vcan && sudo ip link set up ${iface}`;
  return null;
}

/**
 * Converts one socketcan message into a frame. A CAN FD payload's DLC comes from the FD
 * length table (12 bytes → 9 … 64 → 15): the DLC is what the wire carries, not the length.
 */
export function frameFromSocketcan(m: RawMessage, iface: string, nowUs: number = Date.now() * 1000): CanFrame {
  const data = m.data ?? Buffer.alloc(0);
  const isErr = m.err === true || (m.id & CAN_ERR_FLAG) !== 0;
  const ts = m.ts_sec !== undefined ? m.ts_sec * 1_000_000 + (m.ts_usec ?? 0) : nowUs;
  // An FD frame of 8 bytes or fewer is only recognisable by the channel's canfd flag.
  const fd = m.canfd === true || data.length > 8;
  return { timestampUs: ts, iface, id: isErr ? m.id & 0x1fffffff & ~CAN_ERR_FLAG : m.id, extended: m.ext === true, fd, brs: false, esi: false, rtr: m.rtr === true, error: isErr, dlc: fd ? lengthToDlc(data.length) : data.length, data };
}

/** Opens a live capture; frames are pushed to `onFrame` until `stop()` is called. */
export async function openSocketcan(iface: string, onFrame: (f: CanFrame) => void): Promise<{ stop(): void }> {
  const problem = await socketcanProblem(iface);
  if (problem) throw new FmeaflowError(SOCKETCAN_UNAVAILABLE, `live capture on ${iface} unavailable: ${problem}`, { details: { iface } });
  const mod = (await import('socketcan' as string)) as SocketcanModule & { default?: SocketcanModule };
  const can = mod.default ?? mod;
  const ch = can.createRawChannel(iface, true);
  ch.addListener('onMessage', (m) => onFrame(frameFromSocketcan(m, iface)));
  ch.start();
  return { stop: () => ch.stop() };
}
