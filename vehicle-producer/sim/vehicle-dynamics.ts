/**
 * A small longitudinal vehicle model sampled at 10 Hz: speed follows randomly chosen
 * targets with bounded acceleration (ramps, cruise, stops), and engine/motor speed,
 * pedal, brake, steering, coolant and battery state follow from it. Plausible enough
 * that decoded signals look like a drive, cheap enough to run for a fleet.
 */
import type { Rng } from './rng.ts';

/** Vehicle state at one instant. */
export interface VehicleState {
  speedKph: number;
  accelMps2: number;
  rpm: number;
  gear: 'P' | 'D';
  pedalPct: number;
  brakePct: number;
  steerDeg: number;
  coolantC: number;
  cellTempC: number;
  socPct: number;
  packVoltage: number;
  packCurrentA: number;
}

/** Sampling step of the model in ms. */
export const DYNAMICS_STEP_MS = 100;

/** Simulates `durationMs` of driving; returns one state per 100 ms. */
export function simulateDynamics(durationMs: number, rng: Rng): VehicleState[] {
  const n = Math.ceil(durationMs / DYNAMICS_STEP_MS) + 1;
  const out: VehicleState[] = [];
  let speed = 0;
  let target = rng.range(30, 90);
  let holdUntil = rng.range(3, 8) * 1000;
  let coolant = rng.range(20, 60);
  let cell = rng.range(22, 30);
  let soc = rng.range(55, 95);
  let steerPhase = rng.range(0, Math.PI * 2);
  const dt = DYNAMICS_STEP_MS / 1000;
  for (let i = 0; i < n; i++) {
    const t = i * DYNAMICS_STEP_MS;
    if (t >= holdUntil) {
      target = rng.chance(0.15) ? 0 : rng.range(20, 120);
      holdUntil = t + rng.range(8, 25) * 1000;
    }
    const diff = target - speed;
    const maxAcc = diff > 0 ? 2.5 : 3.5; // m/s²
    const acc = Math.max(-maxAcc, Math.min(maxAcc, (diff / 3.6) / 2)) + rng.normal() * 0.05;
    speed = Math.max(0, speed + acc * dt * 3.6);
    steerPhase += dt * 0.3;
    const current = Math.max(-80, acc * 60 + speed * 0.8 + rng.normal() * 3);
    coolant += (90 - coolant) * 0.002 + rng.normal() * 0.02;
    cell += (25 + Math.abs(current) * 0.08 - cell) * 0.003 + rng.normal() * 0.01;
    soc = Math.max(5, soc - Math.max(0, current) * 0.00002);
    out.push({
      speedKph: speed,
      accelMps2: acc,
      rpm: speed < 0.5 ? 750 + rng.normal() * 10 : 900 + speed * 28 + rng.normal() * 15,
      gear: speed < 0.5 && target === 0 ? 'P' : 'D',
      pedalPct: Math.max(0, Math.min(100, acc > 0 ? acc * 30 + speed * 0.15 : 0)),
      brakePct: acc < -0.5 ? Math.min(100, -acc * 25) : 0,
      steerDeg: Math.sin(steerPhase) * 25 + rng.normal() * 0.5,
      coolantC: coolant,
      cellTempC: cell,
      socPct: soc,
      packVoltage: 350 + soc * 0.5 - current * 0.05,
      packCurrentA: current,
    });
  }
  return out;
}

/** State at a time offset (ms) from the drive start. */
export function stateAt(states: readonly VehicleState[], tMs: number): VehicleState {
  const i = Math.min(states.length - 1, Math.max(0, Math.floor(tMs / DYNAMICS_STEP_MS)));
  return states[i]!;
}
