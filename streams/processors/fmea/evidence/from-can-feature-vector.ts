/** Adapter for `fmeaflow.can-features.v1` (schema owned here: schemas/can-feature-vector.avsc). */
import { Topics } from '../../../topic-catalog.ts';
import { asObject, numMap, optStr, str, strList, timeMs } from './fields.ts';
import type { EvidenceAdapter } from './evidence.ts';

/** Adapter: CAN feature vector → evidence for its vehicle. */
export const canFeatureAdapter: EvidenceAdapter = {
  topic: Topics.canFeatures,
  eventTimeMs: (v) => timeMs(asObject(v), ['windowEndMs']),
  toEvidence(v) {
    const o = asObject(v);
    const vehicleId = str(o, 'vehicleId');
    const bus = str(o, 'bus');
    const model = optStr(o, 'model');
    return [{
      kind: 'canFeature', ref: `${vehicleId}/${bus}`, timeMs: timeMs(o, ['windowEndMs']), vehicles: [vehicleId], traceIds: [],
      ...(model ? { model } : {}), bus, features: numMap(o, 'features'), dtcCodes: strList(o, 'dtcCodes'),
    }];
  },
};
