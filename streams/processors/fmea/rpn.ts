/**
 * Risk Priority Number, the classic S × O × D product. Kept next to AP because the AIAG-VDA
 * handbook replaced RPN by AP for prioritisation, yet many quality teams still report both.
 */
import { isRating } from './action-priority.ts';

/** RPN = S × O × D (1–1000); throws RangeError for ratings outside 1–10. */
export function riskPriorityNumber(s: number, o: number, d: number): number {
  if (!isRating(s) || !isRating(o) || !isRating(d)) throw new RangeError(`ratings must be integers 1-10, got S=${s} O=${o} D=${d}`);
  return s * o * d;
}
