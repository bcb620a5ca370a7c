/**
 * Decoded `vehicle.can.v1` values (schemas/can-frame-batch.avsc) as processors see them:
 * avsc hands `bytes` over as a Buffer, which is a Uint8Array, so that is the type used.
 */

export interface CanFrame {
  readonly timestampUs: number;
  readonly id: number;
  readonly extended?: boolean;
  readonly fd?: boolean;
  readonly brs?: boolean;
  readonly rtr?: boolean;
  readonly error?: boolean;
  readonly dlc: number;
  readonly data: Uint8Array;
}

export interface CanFrameBatch {
  readonly vehicleId: string;
  readonly bus: string;
  readonly bitrateBps?: number | null;
  readonly seq: number;
  readonly batchStartUs: number;
  readonly batchEndUs: number;
  readonly frames: readonly CanFrame[];
  readonly droppedFrames?: number;
}

const FD_LENGTHS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 48, 64];

/** Payload length in bytes a DLC stands for (classic: 9–15 mean 8; FD: the FD table). */
export function dlcToLength(dlc: number, fd: boolean): number {
  const d = Math.max(0, Math.min(15, dlc | 0));
  return fd ? FD_LENGTHS[d]! : Math.min(8, d);
}
