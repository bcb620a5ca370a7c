/**
 * Where the broker and the schema registry are. One place for the defaults so the CLI,
 * the runtime, tests and benchmarks all agree; environment variables override them so
 * the same code runs against the local stack and a real cluster.
 */

/** Default Confluent-compatible registry URL (the local Apicurio started by `stack up`). */
export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:18081/apis/ccompat/v7';
/** Default bootstrap broker of the local stack. */
export const DEFAULT_BROKERS = '127.0.0.1:19092';

/** Schema registry URL: `SCHEMA_REGISTRY_URL` or the local default. */
export function registryUrl(): string {
  return process.env.SCHEMA_REGISTRY_URL ?? DEFAULT_REGISTRY_URL;
}

/** Bootstrap brokers as a list: `KAFKA_BROKERS` (comma separated) or the local default. */
export function brokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? DEFAULT_BROKERS).split(',').map((b) => b.trim()).filter((b) => b.length > 0);
}

/** The hint every "cannot reach the local stack" error ends with. */
export const START_STACK_HINT = 'start the local one with: npx tsx streams/cli.ts stack up';
