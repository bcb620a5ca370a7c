/**
 * Where the broker and the schema registry are, for the runtime, the producer, tests and
 * benchmarks. The answer comes from the local stack's configuration (streams/runtime/stack),
 * so `KAFKA_BROKERS`, `SCHEMA_REGISTRY_URL` and the local port overrides mean the same
 * everywhere.
 */
import { stackEndpoints } from '../stack/stack.ts';

/** Schema registry URL: `SCHEMA_REGISTRY_URL` or the local stack's. */
export function registryUrl(): string {
  return stackEndpoints().registryUrl;
}

/** Bootstrap brokers as a list: `KAFKA_BROKERS` (comma separated) or the local stack's. */
export function brokers(): string[] {
  return stackEndpoints().brokers;
}

/** The hint every "cannot reach the local stack" error ends with. */
export const START_STACK_HINT = 'start the local one with: npx tsx streams/cli.ts stack up';
