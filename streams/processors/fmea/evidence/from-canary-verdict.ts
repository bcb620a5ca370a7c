/** Adapter for `fmeaflow.canary-verdicts.v1`: pass/marginal/fail per release and metric. */
import { Topics } from '../../../topic-catalog.ts';
import { asObject, optStr, str, strList, timeMs } from './fields.ts';
import { InvalidEvidence, type EvidenceAdapter } from './evidence.ts';

const T_MS = ['evaluatedAtMs', 'eventTimeMs', 'decidedAtMs', 'timestampMs', 'windowEndMs'];

/** Adapter: canary verdict → evidence (fleet level; vehicles are the canary cohort when listed). */
export const canaryAdapter: EvidenceAdapter = {
  topic: Topics.canaryVerdicts,
  eventTimeMs: (v) => timeMs(asObject(v), T_MS),
  toEvidence(v) {
    const o = asObject(v);
    const verdict = str(o, 'verdict').toLowerCase();
    if (verdict !== 'pass' && verdict !== 'marginal' && verdict !== 'fail') throw new InvalidEvidence(`unknown verdict '${verdict}'`, 'verdict');
    const releaseId = str(o, 'releaseId', 'release');
    const metric = str(o, 'metric', 'series', 'metricName');
    const service = optStr(o, 'service');
    const model = optStr(o, 'model', 'vehicleModel');
    return [{
      kind: 'canary', ref: `${releaseId}/${service ? `${service}/` : ''}${metric}`, timeMs: timeMs(o, T_MS), vehicles: strList(o, 'vehicles', 'canaryVehicles'),
      traceIds: strList(o, 'traceIds'), ...(model ? { model } : {}), releaseId, metric, verdict,
    }];
  },
};
