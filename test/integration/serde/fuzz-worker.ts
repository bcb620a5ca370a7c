/**
 * Child process of topic-fuzz.test.ts: the whole topology (as `fmeaflow worker --timing drive` runs it) on the private
 * topics of the namespace in FUZZ_NS, so the fuzzed records never reach other runs' engines. Prints `ready` once started.
 */
import path from 'node:path';
import { buildTopology, DRIVE_TIMING } from '../../../streams/topology.ts';
import { runWorker } from '../../../streams/runtime/kafka/worker.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';
import { namespaceProcessor, topicNamespace } from '../../../bench/lib/namespaced-topics.ts';

const ns = process.env.FUZZ_NS;
if (!ns) throw new Error('FUZZ_NS is not set');
const n = topicNamespace(ns);
const processors = buildTopology({ app: ns, timing: DRIVE_TIMING }).map((p) => namespaceProcessor(p, n));
await runWorker({
  app: ns, processors, schemasDir: path.join(PROJECT_ROOT, 'schemas'), handleSignals: true, startFrom: 'earliest',
  catalog: n.specs.map((s) => ({ name: s.name, schema: s.schema })), lateTopic: n.out(Topics.late), dlqTopic: n.out(Topics.dlq),
});
process.stdout.write('ready\n');
