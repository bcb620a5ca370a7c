/**
 * Default alert rules: drift of span P95 latency and of span error rate becomes an
 * alert. Other series drift silently (drift events are still published for FMEA).
 */
import { parseMatcher } from './label-matcher.ts';
import type { AlertRule } from './alert-types.ts';

/** Default rules (for 1 min, keep firing 2 min). */
export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  { name: 'span-latency-p95-drift', match: [parseMatcher('__name__="span.latency.p95"')], forMs: 60_000, keepFiringForMs: 120_000, severity: 'warning' },
  { name: 'span-error-rate-drift', match: [parseMatcher('__name__="span.error_rate"')], forMs: 60_000, keepFiringForMs: 120_000, severity: 'critical' },
];
