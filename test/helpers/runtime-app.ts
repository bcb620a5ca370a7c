/**
 * The topics a runtime test's worker needs: a metric input, an output, and the late and DLQ side topics, with their
 * schemas registered, plus a fresh app id. Everything is deleted when the test ends (freshTopics).
 */
import type { TestContext } from 'node:test';
import { createSerde } from '../../streams/runtime/serde/serde.ts';
import { freshTopics, uniqueName } from './kafka.ts';

/** Creates the topics (prefixed `<prefix>-in` …) and registers the input, late and DLQ schemas. */
export async function runtimeApp(t: TestContext, prefix: string, partitions: { input?: number; output?: number } = {}) {
  const [input, output, late, dlq] = await freshTopics(t, [{ prefix: `${prefix}-in`, partitions: partitions.input ?? 1 }, { prefix: `${prefix}-out`, partitions: partitions.output ?? 1 }, { prefix: `${prefix}-late` }, { prefix: `${prefix}-dlq` }]);
  const catalog = [
    { name: input!, schema: 'metric.avsc' },
    { name: late!, schema: 'late-record.avsc' },
    { name: dlq!, schema: 'dead-letter.avsc' },
  ];
  const serde = createSerde();
  await serde.registerAll(catalog);
  return { input: input!, output: output!, late: late!, dlq: dlq!, catalog, serde, app: uniqueName(`${prefix}app`) };
}
