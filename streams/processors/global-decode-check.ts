/**
 * `global-decode-check`: reads the rules and vehicles global topics as ordinary (partitioned)
 * inputs so that a record that does not decode is dead-lettered once per application with its
 * SERDE_* code; the global-table loader cannot (every worker reads every global record, again on
 * each restart), it only keeps the previous value and counts the rejection. Releases have their
 * own check (suppression/release-check.ts), which also validates their content.
 */
import { Topics } from '../topic-catalog.ts';
import { NOTHING, type Processor } from './processor.ts';

/** Creates `global-decode-check`: global records in, nothing out but the runtime's dead letters for bodies that do not decode. */
export function createGlobalDecodeCheckProcessor(): Processor<never, unknown> {
  return {
    name: 'global-decode-check',
    inputTopics: [Topics.rules, Topics.vehicles],
    outputTopics: [],
    store: 'global-decode-check',
    // A table, not a stream of windows: an old record is as valid as a new one, so no record is ever late.
    allowedLatenessMs: Number.MAX_SAFE_INTEGER,
    eventTimeMs: () => 0,
    process: () => NOTHING,
  };
}
