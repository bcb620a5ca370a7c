/**
 * Where the CLI's topic prefix comes from: `--topic-prefix <p>` on the command line, else
 * `FMEAFLOW_TOPIC_PREFIX`, else `fmeaflow.topic.prefix` in the Kafka properties file
 * (`FMEAFLOW_KAFKA_PROPERTIES`, the operator's one connection file). The result goes into the
 * environment, which the topic catalog reads when it loads; so this runs before any command module
 * is imported, and must not import the catalog itself.
 */
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { readPropertiesFile } from '../runtime/kafka/connection-config.ts';
import { checkTopicPrefix } from '../topic-prefix.ts';

/** The value of `--topic-prefix` in `argv` (either `--topic-prefix p` or `--topic-prefix=p`), if given. */
function fromArgv(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (a === '--topic-prefix') return argv[i + 1] ?? '';
    if (a.startsWith('--topic-prefix=')) return a.slice('--topic-prefix='.length);
  }
  return undefined;
}

/** Resolves the prefix and stores it in `env.FMEAFLOW_TOPIC_PREFIX`; a prefix that cannot start a topic name is CONFIG_INVALID. */
export function applyTopicPrefix(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const prefix = fromArgv(argv) ?? env.FMEAFLOW_TOPIC_PREFIX ?? readPropertiesFile(env).props['fmeaflow.topic.prefix'] ?? '';
  const why = checkTopicPrefix(prefix);
  if (why) throw new FmeaflowError(ErrorCodes.BAD_CONFIG, why, { details: { setting: 'FMEAFLOW_TOPIC_PREFIX' } });
  env.FMEAFLOW_TOPIC_PREFIX = prefix;
  return prefix;
}
