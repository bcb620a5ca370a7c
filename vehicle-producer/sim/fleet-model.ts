/**
 * Which frames a vehicle model sends: a subset of the cyclic messages of its DBC in
 * vehicle-producer/dbc/vehicles (those the signal roles can animate come first; messages
 * faster than `minCycleMs` are left out to keep drives small) plus the fleet-extras BMS
 * heartbeat 0x2A3.
 * Default cycle time is 100 ms where the DBC has no GenMsgCycleTime.
 */
import { fileURLToPath } from 'node:url';
import { loadDbcFile } from '../dbc/dbc-parser.ts';
import type { DbcDatabase, DbcMessage } from '../dbc/dbc-types.ts';
import type { VehicleModel } from './scenario.ts';

/** Cycle time used where a DBC gives none. */
export const DEFAULT_CYCLE_MS = 100;

const dbcCache = new Map<string, DbcDatabase>();

/** The DBC of a simulated vehicle model (in the repository, written for the simulator). */
export function vehicleDbcPath(model: VehicleModel): string {
  return fileURLToPath(new URL(`../dbc/vehicles/${model}.dbc`, import.meta.url));
}

function cached(path: string): DbcDatabase {
  let db = dbcCache.get(path);
  if (!db) dbcCache.set(path, (db = loadDbcFile(path)));
  return db;
}

/** The project's own DBC with the BMS heartbeat the gateway supervises. */
export function extrasDbc(): DbcDatabase {
  return cached(fileURLToPath(new URL('../dbc/fleet-extras.dbc', import.meta.url)));
}

const ANIMATED = /speed|spd|rpm|temp|angle|steer|gear|pedal|accel|brake|volt|current|soc|counter/i;

/** Prefers plain (non-multiplexed) messages carrying vehicle speed, then engine/motor speed, then anything animated. */
function score(m: DbcMessage): number {
  const speed = m.signals.some((s) => /speed|spd/i.test(s.name) && !/limit|set/i.test(s.name) && /^(mph|kph|km\/h)$/i.test(s.unit.trim()));
  const rpm = m.signals.some((s) => /rpm/i.test(s.name + s.unit));
  const animated = Math.min(8, m.signals.filter((s) => ANIMATED.test(s.name)).length);
  const muxed = m.signals.some((s) => s.isMultiplexer);
  return (speed ? 100 : 0) + (rpm ? 20 : 0) + animated - (muxed ? 30 : 0);
}

/** A message the vehicle sends, with its effective cycle time. */
export interface ScheduledMessage {
  msg: DbcMessage;
  cycleMs: number;
}

/** Message set of one model: `count` DBC messages plus the extras, same for every vehicle of the model. */
export function messagesFor(model: VehicleModel, count: number, minCycleMs: number): ScheduledMessage[] {
  const db = cached(vehicleDbcPath(model));
  const candidates = db.messages
    .filter((m) => m.signals.length > 0 && m.length <= 8 && (m.cycleTimeMs ?? DEFAULT_CYCLE_MS) >= minCycleMs && m.frameId < 0x700)
    .map((m) => ({ m, score: score(m) }))
    .sort((a, b) => b.score - a.score || a.m.frameId - b.m.frameId)
    .slice(0, count)
    .map(({ m }) => ({ msg: m, cycleMs: m.cycleTimeMs ?? DEFAULT_CYCLE_MS }));
  const extras = extrasDbc().messages.map((m) => ({ msg: m, cycleMs: m.cycleTimeMs ?? DEFAULT_CYCLE_MS }));
  return [...candidates.filter((c) => !extras.some((e) => e.msg.frameId === c.msg.frameId)), ...extras];
}
