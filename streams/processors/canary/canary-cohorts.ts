/**
 * Which cohort of which in-progress release a span belongs to: by vehicle list when the
 * release names one, otherwise by service version (canary version vs baseline version;
 * with no baseline version, every other version is the baseline).
 */
import type { SpanRecord } from '../series/input-records.ts';
import { inProgress, type ReleaseEvent } from '../suppression/release-table.ts';

/** Cohort of a span. */
export type Cohort = 'canary' | 'baseline';

/** The (release, cohort) pairs a span counts for. */
export function cohortsOf(span: SpanRecord, releases: readonly ReleaseEvent[]): { release: ReleaseEvent; cohort: Cohort }[] {
  const out: { release: ReleaseEvent; cohort: Cohort }[] = [];
  for (const r of releases) {
    if (r.service !== span.service || !inProgress(r)) continue;
    if (r.cohortVehicleIds.length > 0) {
      out.push({ release: r, cohort: r.cohortVehicleIds.includes(span.vehicleId) ? 'canary' : 'baseline' });
      continue;
    }
    const v = span.serviceVersion;
    if (v === null || v === undefined) continue;
    if (v === r.version) out.push({ release: r, cohort: 'canary' });
    else if (r.baselineVersion === null || v === r.baselineVersion) out.push({ release: r, cohort: 'baseline' });
  }
  return out;
}
