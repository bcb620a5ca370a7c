/**
 * `rules publish`: lint, then write one record per worksheet to the compacted
 * `fmea.rules.v1` topic (Avro via the registry), keyed by worksheet id, all in one
 * transaction; the records of one publish share `publishedAtMs`, the set's version. A rule
 * set with any lint error is not published at all; workers re-validate the whole table
 * anyway and keep the last good set.
 */
import { issueToError } from '../processors/fmea/rule-issue.ts';
import { createKafka } from '../runtime/kafka/client.ts';
import { createSerde } from '../runtime/serde/serde.ts';
import { prefixed, topicSpec, Topics } from '../topic-catalog.ts';
import { lintRuleTexts } from './lint.ts';
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
  // Read once: what is linted is exactly what is published, even if a file changes meanwhile.
  const files = readRuleFiles(paths);
  if (!opts.skipLint) {
    const lint = lintRuleTexts(files);
    if (lint.errors > 0) {
      // One line, located at the first error; `rules lint` lists them all.
      const first = lint.issues.find((i) => i.severity === 'error')!;
      const more = lint.errors > 1 ? ` (and ${lint.errors - 1} more error(s); run rules lint)` : '';
      throw issueToError({ ...first, message: `not published: ${first.message}${more}` });
    }
  }
  const topic = opts.topic ?? Topics.rules;
  const records = toRuleSetRecords(files, opts.nowMs ?? Date.now(), opts.publishedBy ?? null);
  const serde = createSerde(opts.registryUrl ? { registryUrl: opts.registryUrl } : {});
  await serde.register({ name: topic, schema: topicSpec(Topics.rules)!.schema });
  const messages = await Promise.all(records.map(async (r) => ({ key: r.worksheet, value: await serde.encode(topic, r) })));
  // One transaction per publish: workers read the topic read_committed, so they see all of its
  // worksheets at once instead of one file at a time (an entry moved between two files would
  // otherwise pass through a table that holds it twice or not at all). The fixed id also fences
  // an earlier publish to the same topic that died mid-way, aborting its half-written set.
  const producer = createKafka('fmeaflow-rules-publish', opts.brokers).producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: prefixed(`fmeaflow-rules-publish-${topic}`) });
  await producer.connect();
  try {
    const txn = await producer.transaction();
    try {
      await txn.send({ topic, acks: -1, messages });
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
  } finally {
    await producer.disconnect();
  }
  return { worksheets: records.map((r) => r.worksheet), topic };
}
