/** `fmeaflow stack`: install, start, stop and inspect the local Kafka broker and schema registry. */
import type { Command } from 'commander';
import { installStack } from '../runtime/stack/install.ts';
import { stackDown, stackStatus, stackUp } from '../runtime/stack/stack.ts';
import { redactText } from '../runtime/observability/redact.ts';

const log = (m: string): void => void process.stderr.write(`stack: ${m}\n`);

/** Adds the `stack` command group. */
export function register(program: Command): void {
  const stack = program.command('stack').description('local Apache Kafka (KRaft) and Apicurio schema registry on loopback');
  stack
    .command('install')
    .description('resolve Kafka and the registry from Maven Central into .cache/ (done automatically by "up")')
    .action(() => {
      const { installed } = installStack(undefined, log);
      log(installed ? 'installed' : 'already installed');
    });
  stack
    .command('up')
    .description('start the broker and registry unless already running (nothing local when KAFKA_BROKERS / SCHEMA_REGISTRY_URL are set)')
    .action(async () => {
      const r = await stackUp(log);
      process.stdout.write(redactText(`KAFKA_BROKERS=${r.brokers.join(',')}\nSCHEMA_REGISTRY_URL=${r.registryUrl}\n`));
    });
  stack.command('down').description('stop the broker and registry that "stack up" started').action(async () => stackDown(log));
  stack
    .command('status')
    .description('show whether the broker and registry answer')
    .action(async () => {
      for (const [k, v] of Object.entries(await stackStatus())) process.stdout.write(redactText(`${k.padEnd(9)} ${v}\n`));
    });
}
