/**
 * TypeScript views of the decoded input records (schemas/metric.avsc, schemas/span.avsc)
 * and their validation. Validation throws FmeaflowError INVALID_RECORD so the runtime
 * routes the record to the DLQ while the rest of the stream keeps flowing.
 */
import { ErrorCodes, FmeaflowError } from '../../errors.ts';

/** Decoded `dev.fmeaflow.vehicle.Metric`. */
export interface MetricRecord {
  readonly vehicleId: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly kind: 'GAUGE' | 'COUNTER' | 'HISTOGRAM';
  readonly timestampMs: number;
  readonly value: number | null;
  readonly histogram: { readonly bounds: readonly number[]; readonly counts: readonly number[]; readonly sum: number; readonly count: number } | null;
  readonly unit: string | null;
}

/** Decoded `dev.fmeaflow.vehicle.Span`. */
export interface SpanRecord {
  readonly vehicleId: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | null;
  readonly service: string;
  readonly serviceVersion: string | null;
  readonly name: string;
  readonly kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  readonly startTimeUs: number;
  readonly endTimeUs: number;
  readonly status: 'UNSET' | 'OK' | 'ERROR';
  readonly statusMessage: string | null;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Limits that catch clock jumps before they move the watermark. */
export interface TimeSanity {
  /** Records further than this ahead of the runtime's wall clock are rejected (vehicle clock jumped forward). */
  readonly maxFutureSkewMs: number;
  /** Records older than this epoch time are rejected (unset RTC, 1970 clocks). */
  readonly minEventTimeMs: number;
}

/** Defaults: 1 h of skew, nothing before 2000-01-01. */
export const DEFAULT_TIME_SANITY: TimeSanity = { maxFutureSkewMs: 3_600_000, minEventTimeMs: Date.UTC(2000, 0, 1) };

function invalid(message: string, details: Record<string, unknown>): FmeaflowError {
  return new FmeaflowError(ErrorCodes.INVALID_RECORD, message, { details });
}

/** Bounds of the identity fields of a record (vehicle ids and labels come from outside and key state). */
export const IDENTITY_BOUNDS = { vehicleIdChars: 128, nameChars: 256, labels: 32, labelKeyChars: 128, labelValueChars: 256 } as const;

// Control characters would reach logs and terminals; '|' separates the parts of store keys.
const UNSAFE_ID = /[\u0000-\u001f\u007f|]/;

/** Rejects a vehicle id, series name or label set past IDENTITY_BOUNDS (INVALID_RECORD naming the field). */
export function checkIdentity(vehicleId: unknown, name: unknown, labels: unknown): void {
  // Details echo the untrusted values: cut short.
  const brief = { vehicleId: String(vehicleId).slice(0, 64), name: String(name).slice(0, 64) };
  if (typeof vehicleId !== 'string' || vehicleId === '' || vehicleId.length > IDENTITY_BOUNDS.vehicleIdChars || UNSAFE_ID.test(vehicleId)) {
    throw invalid(`vehicle id must be 1-${IDENTITY_BOUNDS.vehicleIdChars} characters without '|' or control characters`, { ...brief, field: 'vehicleId' });
  }
  if (typeof name !== 'string' || name === '' || name.length > IDENTITY_BOUNDS.nameChars) throw invalid(`name must be 1-${IDENTITY_BOUNDS.nameChars} characters`, { ...brief, field: 'name' });
  if (labels === null || labels === undefined) return;
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > IDENTITY_BOUNDS.labels) throw invalid(`${entries.length} labels, at most ${IDENTITY_BOUNDS.labels}`, { ...brief, field: 'labels' });
  for (const [k, v] of entries) {
    if (k.length > IDENTITY_BOUNDS.labelKeyChars || typeof v !== 'string' || v.length > IDENTITY_BOUNDS.labelValueChars) {
      throw invalid(`label ${JSON.stringify(k.slice(0, 64))}: keys at most ${IDENTITY_BOUNDS.labelKeyChars}, values at most ${IDENTITY_BOUNDS.labelValueChars} characters`, { ...brief, field: `labels.${k.slice(0, 64)}` });
    }
  }
}

/** Rejects event times that are non-finite, before `minEventTimeMs` or too far past `nowMs`. */
export function checkEventTime(tMs: number, nowMs: number, sanity: TimeSanity, what: Record<string, unknown>): void {
  if (!Number.isFinite(tMs)) throw invalid(`event time is not a finite number (${tMs})`, { ...what, field: 'timestamp' });
  if (tMs < sanity.minEventTimeMs) throw invalid(`event time ${new Date(tMs).toISOString()} is before ${new Date(sanity.minEventTimeMs).toISOString()} (clock not set?)`, { ...what, field: 'timestamp' });
  if (Number.isFinite(nowMs) && tMs > nowMs + sanity.maxFutureSkewMs) {
    throw invalid(`event time ${new Date(tMs).toISOString()} is ${Math.round((tMs - nowMs) / 1000)} s ahead of the wall clock (clock jump?)`, { ...what, field: 'timestamp' });
  }
}

/** Validates a metric point; throws INVALID_RECORD naming the field. */
export function validateMetric(m: MetricRecord, nowMs: number, sanity: TimeSanity = DEFAULT_TIME_SANITY): void {
  const what = { vehicleId: m.vehicleId, metric: m.name };
  checkIdentity(m.vehicleId, m.name, m.labels);
  checkEventTime(m.timestampMs, nowMs, sanity, what);
  if (m.kind === 'HISTOGRAM') {
    const h = m.histogram;
    if (!h) throw invalid(`HISTOGRAM point of ${m.name} has no histogram`, { ...what, field: 'histogram' });
    if (h.counts.length !== h.bounds.length + 1) throw invalid(`histogram of ${m.name} has ${h.counts.length} counts for ${h.bounds.length} bounds (need bounds+1)`, { ...what, field: 'histogram.counts' });
    if (!Number.isFinite(h.sum) || !Number.isFinite(h.count) || h.count < 0) throw invalid(`histogram of ${m.name} has a non-finite or negative sum/count`, { ...what, field: 'histogram.sum' });
    for (const c of h.counts) if (!Number.isFinite(c) || c < 0) throw invalid(`histogram of ${m.name} has a bad bucket count ${c}`, { ...what, field: 'histogram.counts' });
    for (let i = 0; i < h.bounds.length; i++) {
      if (!Number.isFinite(h.bounds[i]!) || (i > 0 && h.bounds[i]! <= h.bounds[i - 1]!)) throw invalid(`histogram bounds of ${m.name} must be finite and ascending`, { ...what, field: 'histogram.bounds' });
    }
    return;
  }
  if (m.value === null || m.value === undefined) throw invalid(`${m.kind} point of ${m.name} has no value`, { ...what, field: 'value' });
  if (!Number.isFinite(m.value)) throw invalid(`${m.kind} point of ${m.name} has a non-finite value (${m.value})`, { ...what, field: 'value' });
}

/** Validates a span; throws INVALID_RECORD naming the field. */
export function validateSpan(s: SpanRecord, nowMs: number, sanity: TimeSanity = DEFAULT_TIME_SANITY): void {
  const what = { vehicleId: s.vehicleId, service: s.service, operation: s.name, spanId: s.spanId };
  checkIdentity(s.vehicleId, s.name, null);
  checkIdentity(s.vehicleId, s.service, null);
  if (!Number.isFinite(s.startTimeUs) || !Number.isFinite(s.endTimeUs)) throw invalid('span start/end time is not finite', { ...what, field: 'endTimeUs' });
  if (s.endTimeUs < s.startTimeUs) throw invalid(`span has a negative duration (${(s.endTimeUs - s.startTimeUs) / 1000} ms)`, { ...what, field: 'endTimeUs' });
  checkEventTime(s.endTimeUs / 1000, nowMs, sanity, what);
}

/** Event time of a span in epoch ms (its end). */
export function spanEventTimeMs(s: SpanRecord): number {
  return Math.floor(s.endTimeUs / 1000);
}

/** Latency of a span in ms. */
export function spanDurationMs(s: SpanRecord): number {
  return (s.endTimeUs - s.startTimeUs) / 1000;
}
