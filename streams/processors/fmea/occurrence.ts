/**
 * Occurrence derived from the field: the share of affected vehicles, expressed per 1000
 * vehicles, mapped to a 1–10 rating through a threshold table. The table is configuration
 * (fmea-rules/occurrence-table.yaml by default) because OEMs calibrate it per product line.
 */

/** One row: rating applies when failures per 1000 vehicles ≥ atLeastPer1000. */
export interface OccurrenceThreshold {
  readonly occurrence: number;
  readonly atLeastPer1000: number;
}

export type OccurrenceTable = readonly OccurrenceThreshold[];

/** Checks a table: ratings 1–10, each once, thresholds falling with the rating, rating 1 at 0. */
export function validateOccurrenceTable(table: OccurrenceTable): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const row of table) {
    if (!Number.isInteger(row.occurrence) || row.occurrence < 1 || row.occurrence > 10) problems.push(`occurrence ${row.occurrence} is not an integer 1-10`);
    if (!(row.atLeastPer1000 >= 0)) problems.push(`threshold ${row.atLeastPer1000} for O=${row.occurrence} must be >= 0`);
    if (seen.has(row.occurrence)) problems.push(`occurrence ${row.occurrence} listed twice`);
    seen.add(row.occurrence);
  }
  const sorted = [...table].sort((a, b) => b.occurrence - a.occurrence);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.atLeastPer1000 >= sorted[i - 1]!.atLeastPer1000) problems.push(`threshold of O=${sorted[i]!.occurrence} must be below that of O=${sorted[i - 1]!.occurrence}`);
  }
  if (!table.some((r) => r.atLeastPer1000 === 0)) problems.push('one row must have threshold 0 so every share maps to a rating');
  return problems;
}

/** Occurrence rating for `affected` of `fleet` vehicles; undefined when the fleet size is unknown (0). */
export function occurrenceFromShare(affected: number, fleet: number, table: OccurrenceTable): number | undefined {
  if (!(fleet > 0)) return undefined;
  const per1000 = (affected / fleet) * 1000;
  let best: OccurrenceThreshold | undefined;
  for (const row of table) {
    if (per1000 >= row.atLeastPer1000 && (!best || row.occurrence > best.occurrence)) best = row;
  }
  return best?.occurrence;
}
