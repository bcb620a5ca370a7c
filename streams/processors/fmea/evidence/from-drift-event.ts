/** Adapter for `fmeaflow.drift.v1`: one drift event → one SeriesEvidence of kind `drift`. */
import { Topics } from '../../../topic-catalog.ts';
import type { EvidenceAdapter } from './evidence.ts';
import { lifecycleOf, readSeriesEvidence, seriesEventTimeMs } from './from-series-event.ts';

// A drift that recovered or was re-baselined is the end of the evidence, not more of it.
const NOT_EVIDENCE = new Set(['RECOVERED', 'REBASELINED']);

/** Adapter: drift event (ONSET/ONGOING) → evidence. */
export const driftAdapter: EvidenceAdapter = {
  topic: Topics.drift,
  eventTimeMs: seriesEventTimeMs,
  toEvidence: (v) => (NOT_EVIDENCE.has(lifecycleOf(v) ?? '') ? [] : [readSeriesEvidence('drift', v)]),
};
