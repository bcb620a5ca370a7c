/**
 * Action Priority (AP) per the AIAG-VDA FMEA Handbook (2019), DFMEA/PFMEA table. The
 * handbook states AP as bands of Severity × Occurrence × Detection; we keep those bands as
 * data (one row per S band and O band, four D bands) rather than 1000 literal cells, so the
 * table reads like the handbook page and a reviewer can check it line by line.
 */

export type ActionPriority = 'H' | 'M' | 'L';

/** Detection bands in handbook column order: D 7–10, D 5–6, D 2–4, D 1. */
type DBands = readonly [ActionPriority, ActionPriority, ActionPriority, ActionPriority];

interface ApRow {
  readonly s: readonly [number, number];
  readonly o: readonly [number, number];
  readonly d: DBands;
}

const ALL_L: DBands = ['L', 'L', 'L', 'L'];

/** The handbook table, top (S 9–10) to bottom (S 1). */
const AP_ROWS: readonly ApRow[] = [
  { s: [9, 10], o: [8, 10], d: ['H', 'H', 'H', 'H'] },
  { s: [9, 10], o: [6, 7], d: ['H', 'H', 'H', 'H'] },
  { s: [9, 10], o: [4, 5], d: ['H', 'H', 'H', 'M'] },
  { s: [9, 10], o: [2, 3], d: ['H', 'M', 'L', 'L'] },
  { s: [9, 10], o: [1, 1], d: ALL_L },
  { s: [7, 8], o: [8, 10], d: ['H', 'H', 'H', 'H'] },
  { s: [7, 8], o: [6, 7], d: ['H', 'H', 'H', 'M'] },
  { s: [7, 8], o: [4, 5], d: ['H', 'M', 'M', 'M'] },
  { s: [7, 8], o: [2, 3], d: ['M', 'M', 'L', 'L'] },
  { s: [7, 8], o: [1, 1], d: ALL_L },
  { s: [4, 6], o: [8, 10], d: ['H', 'H', 'M', 'M'] },
  { s: [4, 6], o: [6, 7], d: ['M', 'M', 'M', 'L'] },
  { s: [4, 6], o: [4, 5], d: ['M', 'L', 'L', 'L'] },
  { s: [4, 6], o: [2, 3], d: ALL_L },
  { s: [4, 6], o: [1, 1], d: ALL_L },
  { s: [2, 3], o: [8, 10], d: ['M', 'M', 'L', 'L'] },
  { s: [2, 3], o: [6, 7], d: ALL_L },
  { s: [2, 3], o: [4, 5], d: ALL_L },
  { s: [2, 3], o: [2, 3], d: ALL_L },
  { s: [2, 3], o: [1, 1], d: ALL_L },
  { s: [1, 1], o: [1, 10], d: ALL_L },
];

function detectionBand(d: number): 0 | 1 | 2 | 3 {
  if (d >= 7) return 0;
  if (d >= 5) return 1;
  if (d >= 2) return 2;
  return 3;
}

/** True for an integer rating 1–10. */
export function isRating(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 10;
}

/** Action Priority of one (S, O, D) triple; throws RangeError for ratings outside 1–10. */
export function actionPriority(s: number, o: number, d: number): ActionPriority {
  if (!isRating(s) || !isRating(o) || !isRating(d)) throw new RangeError(`ratings must be integers 1-10, got S=${s} O=${o} D=${d}`);
  const row = AP_ROWS.find((r) => s >= r.s[0] && s <= r.s[1] && o >= r.o[0] && o <= r.o[1]);
  if (!row) throw new RangeError(`no AP row for S=${s} O=${o}`);
  return row.d[detectionBand(d)];
}

/** Sort weight of an AP (H first). */
export function apWeight(ap: ActionPriority): number {
  return ap === 'H' ? 3 : ap === 'M' ? 2 : 1;
}
