/**
 * `fmeaflow reset --app <id>`: deletes an application's state from the broker — its store
 * changelogs, repartition topics and consumer groups — so the next worker with that id starts
 * from nothing. Output and input topics are shared and kept.
 */
import type { Command } from 'commander';
import { prefixed } from '../topic-catalog.ts';
import { connectAdmin } from '../runtime/kafka/client.ts';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { appResources, deleteAppResources } from '../runtime/admin/app-resources.ts';
import { endpoints as stackEndpoints } from '../runtime/kafka/connection.ts';
import { loadProcessors } from './worker.ts';

/** Adds the `reset` command. */
export function register(program: Command): void {
  program
    .command('reset')
    .description('delete an application\'s state (store changelogs, repartition topics, consumer groups); refused while its workers run; input and output topics are kept')
    .requiredOption('--app <id>', 'application id whose state to delete (the worker\'s --app)')
    .option('--topology <file>', 'module exporting the processors (names the stores and groups)', 'streams/topology.ts')
    .option('--brokers <list>', 'bootstrap servers, comma separated (default: KAFKA_BROKERS or the local stack)')
    .option('--topic-prefix <prefix>', 'start of every topic, group and transactional id on a shared cluster (default FMEAFLOW_TOPIC_PREFIX or fmeaflow.topic.prefix in FMEAFLOW_KAFKA_PROPERTIES)')
    .option('--dry-run', 'only list what would be deleted')
    .action(async (opts: { app: string; topology: string; brokers?: string; dryRun?: boolean }) => {
      opts.app = prefixed(opts.app);
      if (!/^[A-Za-z0-9._-]+$/.test(opts.app)) throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `--app ${JSON.stringify(opts.app)}: an app id has only letters, digits, '.', '_' and '-' (e.g. --app fmeaflow)`);
      const resources = appResources(opts.app, await loadProcessors(opts.topology, opts.app));
      const brokers = opts.brokers?.split(',') ?? stackEndpoints().brokers;
      const admin = await connectAdmin('fmeaflow-reset', brokers);
      try {
        const report = await deleteAppResources(admin, resources, { dryRun: opts.dryRun ?? false });
        const verb = opts.dryRun ? 'would delete' : 'deleted';
        for (const g of report.deletedGroups) process.stdout.write(`${verb} group  ${g}\n`);
        for (const t of report.deletedTopics) process.stdout.write(`${verb} topic  ${t}\n`);
        if (report.deletedGroups.length + report.deletedTopics.length === 0) process.stdout.write(`nothing to delete for app ${opts.app}\n`);
      } finally {
        await admin.disconnect();
      }
    });
}
