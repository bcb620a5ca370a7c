/** `fmeaflow topics`: create every topic of the architecture and report configuration drift. */
import type { Command } from 'commander';
import { connectAdmin } from '../runtime/kafka/client.ts';
import { provisionTopics } from '../runtime/admin/topic-provisioner.ts';
import { createSerde } from '../runtime/serde/serde.ts';
import { endpoints as stackEndpoints } from '../runtime/kafka/connection.ts';
import { TOPIC_SPECS } from '../topic-catalog.ts';

/** Adds the `topics` command. */
export function register(program: Command): void {
  program
    .command('topics')
    .description('create all topics (idempotent) with partitions, cleanup policy and retention; report topics whose config differs; register every schema as <topic>-value')
    .option('--brokers <list>', 'bootstrap servers, comma separated (default: KAFKA_BROKERS or the local stack)')
    .option('--topic-prefix <prefix>', 'start of every topic, group and transactional id on a shared cluster (default FMEAFLOW_TOPIC_PREFIX or fmeaflow.topic.prefix in FMEAFLOW_KAFKA_PROPERTIES)')
    .option('--registry <url>', 'schema registry URL (default: SCHEMA_REGISTRY_URL or the local stack)')
    .option('--no-schemas', 'do not register the topic schemas')
    .option('--strict', 'exit with code 3 when an existing topic differs from the catalog')
    .action(async (opts: { brokers?: string; registry?: string; schemas: boolean; strict?: boolean }) => {
      const brokers = opts.brokers?.split(',') ?? stackEndpoints().brokers;
      const admin = await connectAdmin('fmeaflow-topics', brokers);
      try {
        const report = await provisionTopics(admin, TOPIC_SPECS);
        for (const t of report.created) process.stdout.write(`created  ${t}\n`);
        for (const t of report.existing) process.stdout.write(`exists   ${t}\n`);
        for (const d of report.drift) process.stdout.write(`DIFFERS  ${d.topic}: ${d.setting} is ${d.actual}, catalog says ${d.expected}\n`);
        if (opts.schemas) {
          const serde = createSerde({ registryUrl: opts.registry ?? stackEndpoints().registryUrl });
          const { registered } = await serde.registerAll(TOPIC_SPECS.map((t) => ({ name: t.name, schema: t.schema })));
          for (const [topic, id] of registered) process.stdout.write(`schema   ${topic}-value → id ${id} (BACKWARD)\n`);
        }
        if (opts.strict && report.drift.length > 0) process.exitCode = 3;
      } finally {
        await admin.disconnect();
      }
    });
}
