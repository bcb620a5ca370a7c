/**
 * Maps DBC signal names to quantities of the vehicle model, so any DBC layout carries
 * plausible values: speeds in the signal's unit, engine speed, temperatures, steering,
 * gear by choice name, rolling counters, battery values. Signals with no known role
 * keep a fixed value chosen once per vehicle (status flags rarely change in a drive).
 */
import type { DbcMessage, DbcSignal } from '../dbc/dbc-types.ts';
import type { VehicleState } from './vehicle-dynamics.ts';
import type { Rng } from './rng.ts';

type Role = (s: VehicleState, frameNo: number) => number;

function unitSpeed(kph: number, unit: string): number {
  const u = unit.toLowerCase();
  if (u.includes('mph')) return kph / 1.609344;
  if (u === 'm/s') return kph / 3.6;
  return kph;
}

function clamp(v: number, s: DbcSignal): number {
  if (s.min < s.max) return Math.max(s.min, Math.min(s.max, v));
  return v;
}

function roleFor(sig: DbcSignal, rng: Rng): Role {
  const n = sig.name.toLowerCase();
  if (/counter|cnt|alive|rolling/.test(n)) return (_s, k) => k % 2 ** Math.min(sig.length, 16);
  if (/checksum|crc/.test(n)) return () => 0;
  if (/rpm|engine_?speed|motor.*speed|eng.*spd/.test(n)) return (s) => s.rpm;
  if (/speed|spd|velocity|whl/.test(n)) {
    const wobble = rng.range(-0.3, 0.3);
    return (s) => unitSpeed(s.speedKph + wobble, sig.unit);
  }
  if (/gear|prndl|shift/.test(n) && sig.choices.size > 0) {
    const find = (re: RegExp): number | undefined => [...sig.choices].find(([, v]) => re.test(v))?.[0];
    const p = find(/^p(ark)?$/i) ?? 0;
    const d = find(/^d(rive)?$/i) ?? p;
    return (s) => (s.gear === 'P' ? p : d);
  }
  if (/coolant|oil_?temp|eng.*temp/.test(n)) return (s) => s.coolantC;
  if (/temp/.test(n)) return (s) => s.cellTempC;
  if (/steer.*angle|angle/.test(n)) return (s) => s.steerDeg;
  if (/soc|state_?of_?charge/.test(n)) return (s) => s.socPct;
  if (/volt/.test(n)) return (s) => s.packVoltage;
  if (/current|curr/.test(n)) return (s) => s.packCurrentA;
  if (/pedal|accel|throttle|gas/.test(n)) return (s) => s.pedalPct;
  if (/brake|brk/.test(n) && sig.length > 1) return (s) => s.brakePct;
  const fixed = sig.min < sig.max ? (rng.chance(0.5) ? sig.min : sig.min + (sig.max - sig.min) * rng.range(0, 0.3)) : sig.offset;
  return () => fixed;
}

/** Prepared value producer for one message: values for a frame given the state and frame number. */
export interface MessageValueModel {
  values(state: VehicleState, frameNo: number): Record<string, number>;
}

/** Builds the value model of a message (switch signals cycle through their ids). */
export function buildMessageModel(msg: DbcMessage, rng: Rng): MessageValueModel {
  const roles = msg.signals.map((s) => ({ s, role: roleFor(s, rng) }));
  const switchIds = new Map<string, number[]>();
  for (const s of msg.signals) if (s.isMultiplexer) {
    const ids = new Set<number>();
    for (const c of msg.signals) if (c.multiplexerSignal === s.name) for (const id of c.multiplexerIds) ids.add(id);
    switchIds.set(s.name, [...ids].sort((a, b) => a - b));
  }
  return {
    values(state, frameNo) {
      const v: Record<string, number> = {};
      for (const { s, role } of roles) {
        const ids = switchIds.get(s.name);
        v[s.name] = ids && ids.length > 0 ? ids[frameNo % ids.length]! : clamp(role(state, frameNo), s);
      }
      return v;
    },
  };
}
