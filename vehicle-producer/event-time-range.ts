/**
 * The event times the producer accepts. Frames carry µs stamps that must stay exact
 * integers (Avro longs decode to JS numbers) after a batch end (+batchMs) and fan-out
 * shifts are added, and summaries print dates: so stamps stop well below 2^53 µs
 * (year 2255) and Date's ±8.64e15 ms. Year 2200 leaves that margin and is beyond any
 * real recording.
 */

/** First accepted event time: the epoch (candump and every schema count from it). */
export const MIN_EVENT_TIME_MS = 0;
/** Last accepted event time, exclusive: 2200-01-01T00:00:00Z. */
export const MAX_EVENT_TIME_MS = Date.UTC(2200, 0, 1);

/** Why `ms` is not an accepted event time, or null when it is. */
export function eventTimeProblem(ms: number): string | null {
  if (!Number.isFinite(ms)) return `event time ${ms} is not a number`;
  if (ms < MIN_EVENT_TIME_MS || ms >= MAX_EVENT_TIME_MS) return `event time ${ms} ms is outside 1970-01-01..2200-01-01`;
  return null;
}
