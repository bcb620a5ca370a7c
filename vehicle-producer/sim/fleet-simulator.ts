/**
 * The fleet simulator: turns a validated scenario into a drive — per-vehicle CAN frames
 * from the DBC layouts of its vehicle models, metrics, spans, logs and release events — deterministically from
 * the scenario seed. Fault injections act on a seeded choice of affected vehicles from
 * their onset on; what each fault should look like downstream is described in the result
 * so the drive manifest can state it.
 */
import { createHash } from 'node:crypto';
import type { CanFrame } from '../can-frame.ts';
import type { LogRecordValue, MetricRecord, ReleaseEventRecord, ReleaseStepRecord, SpanRecord } from '../schemas.ts';
import { simulateCanTraffic } from './can-traffic.ts';
import { messagesFor } from './fleet-model.ts';
import { streamRng } from './rng.ts';
import { simulateServices } from './service-telemetry.ts';
import { simulateDynamics } from './vehicle-dynamics.ts';
import { simulateMetrics } from './vehicle-metrics.ts';
import type { Dtc } from './uds.ts';
import type { FaultKind, FaultSpec, Scenario, VehicleModel } from './scenario.ts';

/** One simulated vehicle. */
export interface SimVehicle {
  vehicleId: string;
  model: VehicleModel;
  vin: string;
}

/** A fault as applied: who is affected and from when. */
export interface AppliedFault {
  kind: FaultKind;
  onsetMs: number;
  onsetTimeMs: number;
  vehicleShare: number;
  affectedVehicles: string[];
  params: Record<string, number | string>;
  /** What to look for downstream, in words. */
  expectedSignature: string;
  /** The same, machine-readable (ids, log patterns, metrics). */
  signature: Record<string, unknown>;
}

/** Everything one simulation produces. */
export interface SimulationResult {
  scenario: Scenario;
  vehicles: SimVehicle[];
  frames: Map<string, CanFrame[]>;
  metrics: MetricRecord[];
  spans: SpanRecord[];
  logs: LogRecordValue[];
  releases: ReleaseEventRecord[];
  faults: AppliedFault[];
}

function hashRank(seed: number, kind: string, vehicleId: string): string {
  return createHash('sha256').update(`${seed}/${kind}/${vehicleId}`).digest('hex');
}

/** Seeded, order-independent choice of ceil(share·n) affected vehicles. */
export function affectedVehicles(seed: number, fault: FaultSpec, vehicleIds: readonly string[]): string[] {
  const n = Math.max(1, Math.ceil(fault.vehicleShare * vehicleIds.length));
  return [...vehicleIds].sort((a, b) => hashRank(seed, fault.kind, a).localeCompare(hashRank(seed, fault.kind, b))).slice(0, n).sort();
}

function signatureOf(f: FaultSpec, sc: Scenario): { text: string; sig: Record<string, unknown> } {
  const bus = sc.bus;
  const p = f.params;
  const hex = (n: number, w = 3): string => `0x${n.toString(16).toUpperCase().padStart(w, '0')}`;
  switch (f.kind) {
    case 'can-timeout': {
      const sporadic = sc.telemetry.sporadicTimeoutIntervalS;
      const baseline = sporadic === null ? 'other vehicles unchanged' : `before the onset and on other vehicles the same line occurs sporadically (one every ${sporadic[0]}–${sporadic[1]} s per vehicle), so the timeout log cluster has a baseline and its rate rises`;
      return {
        text: `On affected vehicles after onset, CAN id ${hex(Number(p.canId))} goes missing ~${Math.round(Number(p.dropProbability) * 100)}% of cycles (gaps > ${p.timeoutMs} ms), gateway WARN logs "CAN msg ${hex(Number(p.canId))} timeout after ${p.timeoutMs} ms on bus ${bus}", can_bus_error_rate{bus="${bus}"} rises; ${baseline}.`,
        sig: {
          canId: Number(p.canId), logPattern: `CAN msg ${hex(Number(p.canId))} timeout after`, metric: 'can_bus_error_rate', service: 'gateway',
          ...(sporadic === null ? {} : { baselineIntervalS: sporadic }),
        },
      };
    }
    case 'eeprom-verify-fail':
      return {
        text: `New ERROR log template in service ${p.service} only after onset on affected vehicles: "EEPROM verify failed at block 0x.. : expected CRC 0x.... got 0x....", with ERROR spans eeprom.read / bms.readStatus in the same traces.`,
        sig: { service: p.service, logPattern: 'EEPROM verify failed at block', level: 'ERROR', span: 'eeprom.read' },
      };
    case 'harness-reflection':
      return {
        text: `On bus ${bus} of affected vehicles after onset: error frames (CAN_ERR_FLAG, ~${p.errorFramesPerS}/s, tx error counter rising to error-passive), the first DBC message of the vehicle with truncated DLC (~${Math.round(Number(p.dlcMismatchShare) * 100)}%) and colliding extra frames on its id (~${p.collisionsPerS}/s); can_bus_error_rate rises.`,
        sig: { bus, errorFrames: true, dlcMismatch: true, idCollision: true, metric: 'can_bus_error_rate' },
      };
    case 'bootloader-check-fail':
      return {
        text: `UDS replies of affected vehicles after onset are mostly 0x7F negative responses (share ~${p.negativeShare}): 7F 31 72 for RoutineControl 0xFF01, 7F 22 22 / 7F 19 22 otherwise, requests every ~${p.diagIntervalMs} ms to ECU 0x7E2; diag ERROR logs "Bootloader check failed: RoutineControl 0xFF01 NRC 0x72 generalProgrammingFailure".`,
        sig: { negativeResponseSid: 0x7f, nrc: [0x72, 0x22], requestId: 0x7e2, responseId: 0x7ea, logPattern: 'Bootloader check failed' },
      };
    case 'gray-release-latency':
      return {
        text: `fleet.releases.v1 START/RAMP/END of ${p.service} ${p.version} (baseline ${p.baselineVersion}); canary vehicles run ${p.version} and their ${p.service} SERVER spans and service_latency_ms{service="${p.service}",version="${p.version}"} are ~${p.latencyFactor}x slower in the added part; non-canary vehicles unchanged.`,
        sig: { releaseId: p.releaseId, service: p.service, version: p.version, baselineVersion: p.baselineVersion, metric: 'service_latency_ms', latencyFactor: p.latencyFactor },
      };
  }
}

/** Runs a scenario. */
export function simulate(sc: Scenario): SimulationResult {
  const vehicles: SimVehicle[] = [];
  for (let i = 0; i < sc.vehicles.count; i++) {
    const vehicleId = `${sc.vehicles.idPrefix}${String(i + 1).padStart(4, '0')}`;
    const vin = `5YJ3E1EA${String(sc.seed % 1000).padStart(3, '0')}${String(i + 1).padStart(6, '0')}`.slice(0, 17);
    vehicles.push({ vehicleId, model: sc.vehicles.models[i % sc.vehicles.models.length]!, vin });
  }
  const ids = vehicles.map((v) => v.vehicleId);
  const faults: AppliedFault[] = sc.faults.map((f) => {
    const s = signatureOf(f, sc);
    return { kind: f.kind, onsetMs: f.onsetMs, onsetTimeMs: sc.baseTimeMs + f.onsetMs, vehicleShare: f.vehicleShare, affectedVehicles: affectedVehicles(sc.seed, f, ids), params: f.params, expectedSignature: s.text, signature: s.sig };
  });

  // Gray release plan: the first half of the cohort at START, all of it at RAMP.
  const releases: ReleaseEventRecord[] = [];
  const canaryFrom = new Map<string, number>();
  for (const f of faults.filter((x) => x.kind === 'gray-release-latency')) {
    const cohort = f.affectedVehicles;
    const first = cohort.slice(0, Math.max(1, Math.ceil(cohort.length / 2)));
    const rampMs = f.onsetMs + Math.floor((sc.durationMs - f.onsetMs) / 3);
    const endMs = sc.durationMs - 1000;
    for (const v of cohort) canaryFrom.set(v, first.includes(v) ? f.onsetMs : rampMs);
    const base = { releaseId: String(f.params.releaseId), service: String(f.params.service), version: String(f.params.version), baselineVersion: String(f.params.baselineVersion), cohort: 'canary' };
    const pct = (n: number): number => Math.round((n / ids.length) * 1000) / 10;
    const steps: ReleaseStepRecord[] = [{ phase: 'START', trafficPercent: pct(first.length), cohortVehicleIds: first, timestampMs: sc.baseTimeMs + f.onsetMs }];
    if (cohort.length > first.length) steps.push({ phase: 'RAMP', trafficPercent: pct(cohort.length), cohortVehicleIds: cohort, timestampMs: sc.baseTimeMs + rampMs });
    steps.push({ phase: 'END', trafficPercent: pct(cohort.length), cohortVehicleIds: cohort, timestampMs: sc.baseTimeMs + endMs });
    // Each event carries the steps before it, as a release system would, so the compacted table is enough to judge any past moment.
    steps.forEach((step, i) => releases.push({ ...base, ...step, history: steps.slice(0, i) }));
  }

  const frames = new Map<string, CanFrame[]>();
  const metrics: MetricRecord[] = [];
  const spans: SpanRecord[] = [];
  const logs: LogRecordValue[] = [];
  for (const v of vehicles) {
    const active = sc.faults.filter((_f, i) => faults[i]!.affectedVehicles.includes(v.vehicleId));
    const states = simulateDynamics(sc.durationMs, streamRng(sc.seed, v.vehicleId, 'dynamics'));
    const dr = streamRng(sc.seed, v.vehicleId, 'dtcs');
    const dtcs: Dtc[] = [];
    for (let i = dr.int(0, 2); i > 0; i--) dtcs.push({ code: dr.pick([0x0a8013, 0x056200, 0xc10000, 0x0a9e00]), status: dr.pick([0x08, 0x09, 0x2f]) });
    if (active.some((f) => f.kind === 'can-timeout')) dtcs.push({ code: 0xc11100, status: 0x09 }); // U0111 lost communication with BMS
    const can = simulateCanTraffic(sc, { vehicleId: v.vehicleId, vin: v.vin, messages: messagesFor(v.model, sc.vehicles.messagesPerVehicle, sc.vehicles.minCycleMs), states, dtcs, faults: active });
    const svc = simulateServices(sc, { vehicleId: v.vehicleId, states, faults: active, canaryFromMs: canaryFrom.get(v.vehicleId) ?? null }, can);
    frames.set(v.vehicleId, can.frames);
    metrics.push(...simulateMetrics(sc, v.vehicleId, states, can, svc.spans));
    spans.push(...svc.spans);
    logs.push(...svc.logs);
  }
  const byTimeThenVehicle = <T extends { vehicleId: string }>(time: (x: T) => number) => (a: T, b: T): number => time(a) - time(b) || (a.vehicleId < b.vehicleId ? -1 : a.vehicleId > b.vehicleId ? 1 : 0);
  metrics.sort(byTimeThenVehicle((m) => m.timestampMs));
  spans.sort(byTimeThenVehicle((s) => s.endTimeUs));
  logs.sort(byTimeThenVehicle((l) => l.timestampMs));
  return { scenario: sc, vehicles, frames, metrics, spans, logs, releases, faults };
}
