/**
 * The in-memory form of a suppression policy file (config/suppression-policies.yaml):
 * label matchers select the alerts, a release condition says which gray release must
 * be in progress for the alert's service, and a duration says how long the alert stays
 * suppressed (fixed time from its onset, or until the release ends).
 */
import type { LabelMatcher } from '../alerts/label-matcher.ts';

/** A call chain that counts as core. */
export interface CoreChain {
  readonly name: string;
  readonly matchers: readonly LabelMatcher[];
}

/** One suppression policy. */
export interface SuppressionPolicy {
  readonly name: string;
  readonly description: string;
  readonly match: readonly LabelMatcher[];
  readonly phases: readonly ('START' | 'RAMP')[];
  /** Suppress only while the canary share is strictly below this; null = any share. */
  readonly maxTrafficPercent: number | null;
  readonly driftOnly: boolean;
  readonly nonCoreOnly: boolean;
  /** Fixed suppression from the alert's onset, or until the release ends. */
  readonly duration: { readonly kind: 'for'; readonly ms: number } | { readonly kind: 'until-release-end' };
}

/** An alert rule from the file (the shape of alerts/alert-types.ts AlertRule, kept here so the types import no cycle). */
export interface ConfiguredAlertRule {
  readonly name: string;
  readonly match: readonly LabelMatcher[];
  readonly forMs: number;
  readonly keepFiringForMs: number;
  readonly severity: 'info' | 'warning' | 'critical';
}

/** A validated policy file. */
export interface PolicySet {
  readonly file: string;
  readonly coreChains: readonly CoreChain[];
  readonly policies: readonly SuppressionPolicy[];
  /** Service catalog for release events; null = every service accepted. */
  readonly services?: readonly string[] | null;
  /** Alert rules replacing the defaults; null = the built-in rules. */
  readonly alertRules?: readonly ConfiguredAlertRule[] | null;
}

/** One problem found in a policy file. */
export interface PolicyIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted field path, e.g. policies[1].suppressFor. */
  readonly field: string;
  readonly message: string;
}
