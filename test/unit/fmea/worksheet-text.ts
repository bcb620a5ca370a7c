/** Small worksheets written as YAML text, the way the rules topic carries them, for the evaluation's unit tests. */
import { createHash } from 'node:crypto';
import type { RuleSetRecord } from '../../../streams/processors/fmea/active-rules.ts';

/** One entry whose evidence is `<feature> > 0.1` on CAN features. */
export const entry = (id: string, severity = 6, feature = 'error_frame_share'): string => `  - id: ${id}
    item: gateway
    function: route frames
    failureMode: ${id} failure
    effect: lost frames
    cause: wiring
    severity: ${severity}
    occurrence: 4
    detection: 5
    evidence:
      canFeature: ${feature} > 0.1
`;

export const sheet = (id: string, entries: string[]): string => `worksheet: ${id}\nentries:\n${entries.join('')}`;

/** The rules-topic record of a worksheet text. */
export const record = (worksheet: string, yaml: string, publishedAtMs = 0): RuleSetRecord => ({ worksheet, sourceFile: `fmea-rules/${worksheet}.yaml`, yaml, sha256: createHash('sha256').update(yaml).digest('hex'), publishedAtMs, publishedBy: null });
