/**
 * What the engine expects on the bus, read from DBC files: the cycle time and DLC of every
 * periodic standard-id message. The CAN feature processor judges `missing_periodic_share` and
 * DLC mismatches against it. List only messages that every vehicle on the bus sends (a message
 * one model does not have would count as missing on the others).
 */
import path from 'node:path';
import { loadDbcFile } from '../vehicle-producer/dbc/dbc-parser.ts';
import { PROJECT_ROOT } from './config/project-root.ts';

/** Expected periodic traffic: arbitration id → cycle time (ms) and DLC. */
export interface CanNetwork {
  readonly cycleTimesMs: ReadonlyMap<number, number>;
  readonly expectedDlc: ReadonlyMap<number, number>;
}

/** The bundled fleet network: the messages every simulated and bundled-drive vehicle carries (BMS heartbeat 0x2A3). */
export const DEFAULT_DBC_FILES: readonly string[] = [path.join(PROJECT_ROOT, 'vehicle-producer', 'dbc', 'fleet-extras.dbc')];

/** Reads the periodic messages of DBC files (later files win on a shared id); parse errors name file and line. */
export function loadCanNetwork(files: readonly string[] = DEFAULT_DBC_FILES): CanNetwork {
  const cycleTimesMs = new Map<number, number>();
  const expectedDlc = new Map<number, number>();
  for (const file of files) {
    for (const m of loadDbcFile(file).messages) {
      // Extended ids are not judged for timeouts (the feature window ignores them too).
      if (m.extended || m.cycleTimeMs === null || m.cycleTimeMs <= 0) continue;
      cycleTimesMs.set(m.frameId, m.cycleTimeMs);
      expectedDlc.set(m.frameId, m.length);
    }
  }
  return { cycleTimesMs, expectedDlc };
}
