/** Follows an FMEA actions topic the way a downstream consumer would: latest action per key. */
import type { TestContext } from 'node:test';
import type { FmeaAction } from '../../../streams/processors/fmea/action.ts';
import { followOutputs } from '../../../streams/runtime/live/output-feed.ts';
import { createSerde, type Serde, type TopicSchemaBinding } from '../../../streams/runtime/serde/serde.ts';
import { testKafka } from '../../helpers/kafka.ts';

/** Registers `catalog`, follows `actionsTopic` from the beginning until the test ends; returns the serde, the live map and an idempotent stop (also run when the test ends). */
export async function followActions(t: TestContext, catalog: readonly TopicSchemaBinding[], actionsTopic: string): Promise<{ serde: Serde; actions: Map<string, FmeaAction>; stop: () => Promise<void> }> {
  const serde = createSerde();
  await serde.registerAll(catalog);
  const actions = new Map<string, FmeaAction>();
  const feed = await followOutputs(testKafka(), serde, [actionsTopic], (r) => {
    if (r.value) actions.set(r.key, r.value as FmeaAction);
  }, { fromBeginning: true });
  t.after(() => feed.stop());
  return { serde, actions, stop: () => feed.stop() };
}
