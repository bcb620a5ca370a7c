/**
 * Stable alert ids: a stable hash of rule and subject. Same rule + same series gives the
 * same id across restarts and workers, which is what deduplication needs.
 */
import { stableHash } from '../stable-hash.ts';

/** 16-hex-digit id of an alert from its rule and subject parts. */
export function alertId(...parts: string[]): string {
  return stableHash(...parts);
}
