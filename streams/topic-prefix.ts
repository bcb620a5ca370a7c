/**
 * The shape of `FMEAFLOW_TOPIC_PREFIX`, apart from the topic catalog: the CLI checks it before the
 * catalog loads (streams/config/topic-prefix.ts), and the catalog checks it again when it does.
 */
import { printable } from './untrusted-text.ts';

/** Characters Kafka allows in topic names; the prefix must leave room for the longest name. */
const PREFIX_SHAPE = /^[A-Za-z0-9._-]{0,100}$/;

/** Why `prefix` cannot start a topic name, or undefined when it can. */
export function checkTopicPrefix(prefix: string): string | undefined {
  return PREFIX_SHAPE.test(prefix) ? undefined : `FMEAFLOW_TOPIC_PREFIX: "${printable(prefix, 120)}" cannot start a Kafka topic name; use at most 100 of A-Z a-z 0-9 . _ - (e.g. "team-a.")`;
}
