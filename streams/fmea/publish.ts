/**
 * `rules publish`: lint, then write one record per worksheet to the compacted
 * `fmea.rules.v1` topic (Avro via the registry), keyed by worksheet id. A rule set with any
 * lint error is not published at all; workers re-validate anyway and keep the last good set.
 */
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { formatIssue } from '../processors/fmea/rule-issue.ts';
import { createKafka } from '../runtime/kafka/client.ts';
import { createSerde } from '../runtime/serde/serde.ts';
import { topicSpec, Topics } from '../topic-catalog.ts';
import { lintRuleFiles } from './lint.ts';
import { readRuleFiles } from './rule-files.ts';
import { toRuleSetRecords } from './rule-set-records.ts';

export interface PublishOptions {
  readonly brokers?: readonly string[];
  readonly registryUrl?: string;
  readonly publishedBy?: string | null;
  /** Topic override (tests use a unique one); default fmea.rules.v1. */
  readonly topic?: string;
  /** Publication time; default now (this is I/O code, a clock is allowed here). */
  readonly nowMs?: number;
  /** Skip lint (tests of the worker's own refusal only). */
  readonly skipLint?: boolean;
}

/** Publishes rule files; returns the worksheet ids written. */
export async function publishRuleFiles(paths: readonly string[], opts: PublishOptions = {}): Promise<{ worksheets: string[]; topic: string }> {
  if (!opts.skipLint) {
    const lint = lintRuleFiles(paths);
    if (lint.errors > 0) {
      throw new FmeaflowError(ErrorCodes.RULE_INVALID, `not published: ${lint.errors} error(s)\n${lint.issues.filter((i) => i.severity === 'error').map(formatIssue).join('\n')}`);
    }
  }
  const topic = opts.topic ?? Topics.rules;
  const records = toRuleSetRecords(readRuleFiles(paths), opts.nowMs ?? Date.now(), opts.publishedBy ?? null);
  const serde = createSerde(opts.registryUrl ? { registryUrl: opts.registryUrl } : {});
  await serde.register({ name: topic, schema: topicSpec(Topics.rules)!.schema });
  const producer = createKafka('fmeaflow-rules-publish', opts.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const messages = await Promise.all(records.map(async (r) => ({ key: r.worksheet, value: await serde.encode(topic, r) })));
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
  return { worksheets: records.map((r) => r.worksheet), topic };
}
