/** Adapter for `fmeaflow.alerts.v1`: one alert (fired or suppressed) → SeriesEvidence of kind `alert`. */
import { Topics } from '../../../topic-catalog.ts';
import type { EvidenceAdapter } from './evidence.ts';
import { lifecycleOf, readSeriesEvidence, seriesEventTimeMs } from './from-series-event.ts';

/** Adapter: FIRING alert → evidence (PENDING and RESOLVED are not evidence) (the `suppressed` flag is kept; rules ignore suppressed alerts unless asked). */
export const alertAdapter: EvidenceAdapter = {
  topic: Topics.alerts,
  eventTimeMs: seriesEventTimeMs,
  toEvidence: (v) => (lifecycleOf(v) === 'FIRING' || lifecycleOf(v) === undefined ? [readSeriesEvidence('alert', v)] : []),
};
