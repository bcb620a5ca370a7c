/**
 * The ECU-service side of one simulated vehicle: traces where telematics calls the
 * gateway, which calls the BMS, which reads its EEPROM (W3C trace/span ids, parent links,
 * versions), log lines from those services correlated by trace id, and the log/span
 * effects of the eeprom-verify-fail, gray-release-latency, can-timeout and
 * bootloader-check-fail faults.
 */
import type { LogLevel, LogRecordValue, SpanRecord } from '../schemas.ts';
import { streamRng } from './rng.ts';
import type { CanTrafficResult } from './can-traffic.ts';
import { stateAt, type VehicleState } from './vehicle-dynamics.ts';
import type { FaultSpec, Scenario } from './scenario.ts';

/** Service versions before any release. */
export const SERVICE_VERSIONS: Record<string, string> = { telematics: '3.2.0', gateway: '1.8.0', bms: '2.3.1', diag: '1.1.4' };

/** Spans and logs of one vehicle. */
export interface ServiceTelemetry {
  spans: SpanRecord[];
  logs: LogRecordValue[];
}

/** Inputs beyond the CAN result. */
export interface ServiceVehicleInput {
  vehicleId: string;
  states: VehicleState[];
  faults: FaultSpec[];
  /** When this vehicle runs the canary version of a service (from the gray release plan). */
  canaryFromMs: number | null;
}

const NRC_NAMES: Record<number, string> = { 0x22: 'conditionsNotCorrect', 0x31: 'requestOutOfRange', 0x72: 'generalProgrammingFailure', 0x78: 'requestCorrectlyReceivedResponsePending' };

function hex2(n: number, w = 2): string {
  return `0x${n.toString(16).toUpperCase().padStart(w, '0')}`;
}

/** Generates spans and logs of one vehicle. */
export function simulateServices(sc: Scenario, v: ServiceVehicleInput, can: CanTrafficResult): ServiceTelemetry {
  const t0 = sc.baseTimeMs * 1000;
  const endUs = t0 + sc.durationMs * 1000;
  const spans: SpanRecord[] = [];
  const logs: LogRecordValue[] = [];
  const rng = streamRng(sc.seed, v.vehicleId, 'services');
  const idRng = streamRng(sc.seed, v.vehicleId, 'ids');
  const eeprom = v.faults.find((f) => f.kind === 'eeprom-verify-fail');
  const gray = v.faults.find((f) => f.kind === 'gray-release-latency');
  const log = (service: string, level: LogLevel, tUs: number, body: string, traceId: string | null = null, spanId: string | null = null, attributes: Record<string, string> = {}, version?: string): void => {
    logs.push({ vehicleId: v.vehicleId, service, serviceVersion: version ?? SERVICE_VERSIONS[service] ?? null, level, body, timestampMs: Math.floor(tUs / 1000), traceId, spanId, attributes, samplingRate: 1 });
  };
  const span = (s: Omit<SpanRecord, 'vehicleId' | 'spanId' | 'attributes'> & { attributes?: Record<string, string> }, spanId: string): SpanRecord => {
    const r: SpanRecord = { vehicleId: v.vehicleId, spanId, ...s, attributes: s.attributes ?? {} };
    spans.push(r);
    return r;
  };

  // Periodic traces: telematics upload → gateway route → bms status → eeprom read.
  let nextEepromFailUs = eeprom ? t0 + eeprom.onsetMs * 1000 + rng.range(0, Number(eeprom.params.periodMs) * 1000) : Infinity;
  for (let t = t0 + rng.range(0, sc.telemetry.traceIntervalMs * 1000); t < endUs - 200_000; t += sc.telemetry.traceIntervalMs * 1000 * rng.range(0.8, 1.2)) {
    const rel = (t - t0) / 1000;
    const st = stateAt(v.states, rel);
    const traceId = idRng.hex(16);
    const [rootId, gwId, bmsId, eeId] = [idRng.hex(8), idRng.hex(8), idRng.hex(8), idRng.hex(8)];
    const canary = gray !== undefined && v.canaryFromMs !== null && rel >= v.canaryFromMs;
    const bmsVersion = canary ? String(gray!.params.version) : SERVICE_VERSIONS.bms!;
    const eeFail = t >= nextEepromFailUs;
    if (eeFail) nextEepromFailUs = t + Number(eeprom!.params.periodMs) * 1000 * rng.range(0.7, 1.3);
    const eeStart = t + rng.range(3_000, 6_000) + rng.range(1_000, 3_000) + rng.range(500, 1_500);
    const eeDur = rng.range(1_500, 5_000) + (eeFail ? 20_000 : 0);
    const bmsStart = eeStart - rng.range(500, 1_500);
    const extra = canary ? (Number(gray!.params.latencyFactor) - 1) * rng.range(8_000, 14_000) : 0;
    const bmsEnd = eeStart + eeDur + rng.range(2_000, 8_000) + extra;
    const gwStart = bmsStart - rng.range(1_000, 3_000);
    const gwEnd = bmsEnd + rng.range(1_000, 4_000);
    const rootEnd = gwEnd + rng.range(3_000, 15_000);
    const root = span({ traceId, parentSpanId: null, service: 'telematics', serviceVersion: SERVICE_VERSIONS.telematics!, name: 'telemetry.upload', kind: 'SERVER', startTimeUs: Math.round(t), endTimeUs: Math.round(rootEnd), status: 'OK', statusMessage: null }, rootId);
    span({ traceId, parentSpanId: rootId, service: 'gateway', serviceVersion: SERVICE_VERSIONS.gateway!, name: 'gateway.route', kind: 'SERVER', startTimeUs: Math.round(gwStart), endTimeUs: Math.round(gwEnd), status: 'OK', statusMessage: null, attributes: { 'rpc.target': 'bms' } }, gwId);
    span({ traceId, parentSpanId: gwId, service: 'bms', serviceVersion: bmsVersion, name: 'bms.readStatus', kind: 'SERVER', startTimeUs: Math.round(bmsStart), endTimeUs: Math.round(bmsEnd), status: eeFail ? 'ERROR' : 'OK', statusMessage: eeFail ? 'EEPROM verify failed' : null }, bmsId);
    span({ traceId, parentSpanId: bmsId, service: 'bms', serviceVersion: bmsVersion, name: 'eeprom.read', kind: 'INTERNAL', startTimeUs: Math.round(eeStart), endTimeUs: Math.round(eeStart + eeDur), status: eeFail ? 'ERROR' : 'OK', statusMessage: eeFail ? 'verify failed' : null, attributes: { 'eeprom.block': hex2(Number(eeprom?.params.block ?? 0x1f)) } }, eeId);
    log('gateway', 'INFO', gwEnd, `routed request to bms in ${Math.round((gwEnd - gwStart) / 1000)} ms`, traceId, gwId);
    log('bms', 'DEBUG', bmsEnd, `status soc=${st.socPct.toFixed(1)}% cellTempMax=${st.cellTempC.toFixed(1)}C current=${st.packCurrentA.toFixed(1)}A`, traceId, bmsId, {}, bmsVersion);
    if (eeFail) {
      const block = Number(eeprom!.params.block) + (rng.chance(0.2) ? rng.int(1, 3) : 0);
      const expected = rng.int(0x1000, 0xffff);
      const got = rng.chance(0.7) ? 0 : rng.int(0, 0xffff);
      log('bms', 'ERROR', eeStart + eeDur, `EEPROM verify failed at block ${hex2(block)}: expected CRC ${hex2(expected, 4)} got ${hex2(got, 4)}`, traceId, eeId, { 'eeprom.block': hex2(block) }, bmsVersion);
      log('bms', 'WARN', eeStart + eeDur + 500, `EEPROM retry ${rng.int(1, 3)}/3 for block ${hex2(block)}`, traceId, eeId, {}, bmsVersion);
    }
    log('telematics', rng.chance(0.005) ? 'ERROR' : 'INFO', rootEnd, rng.chance(0.005) ? 'upload retry: connection reset by peer' : `uploaded batch of ${rng.int(80, 400)} records`, traceId, root.spanId);
  }

  // Periodic housekeeping lines (not in a trace).
  for (let t = t0 + rng.range(0, 10e6); t < endUs; t += rng.range(8e6, 12e6)) {
    const st = stateAt(v.states, (t - t0) / 1000);
    log('bms', 'INFO', t, `cell balancing active on ${rng.int(0, 6)} cells, pack ${st.packVoltage.toFixed(1)} V`);
    if (rng.chance(0.1)) log('gateway', 'WARN', t + 1000, `bus main load ${rng.int(30, 45)}% above soft limit`);
  }

  // Gateway supervision timeouts (can-timeout fault).
  for (const to of can.timeouts) log('gateway', 'WARN', to.atUs, `CAN msg ${hex2(to.canId, 3)} timeout after ${to.afterMs} ms on bus ${sc.bus}`, null, null, { 'can.id': hex2(to.canId, 3), bus: sc.bus });

  // Diagnostic session logs; negative answers are reported by the diag service.
  for (const d of can.diag) {
    const ts = d.endUs;
    if (d.negativeNrc === null) {
      if (rng.chance(0.3)) log('diag', 'DEBUG', ts, `UDS ${hex2(d.sid)} to ECU ${d.ecuIndex} positive`);
    } else if (d.sid === 0x31 && d.negativeNrc === 0x72) {
      log('diag', 'ERROR', ts, `Bootloader check failed: RoutineControl 0xFF01 NRC 0x72 ${NRC_NAMES[0x72]}`, null, null, { 'uds.sid': hex2(d.sid), 'uds.nrc': '0x72' });
    } else {
      log('diag', 'WARN', ts, `UDS ${hex2(d.sid)} to ECU ${d.ecuIndex} negative response NRC ${hex2(d.negativeNrc)} ${NRC_NAMES[d.negativeNrc] ?? ''}`.trim(), null, null, { 'uds.sid': hex2(d.sid), 'uds.nrc': hex2(d.negativeNrc) });
    }
  }
  return { spans, logs };
}
