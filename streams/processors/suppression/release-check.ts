/**
 * `release-check`: reads the releases topic as an ordinary (partitioned) input so that a bad
 * release event is dead-lettered exactly once per application, which the global-table
 * loader cannot do (every worker reads every global record, again on each restart). A
 * malformed event is INVALID_RECORD, one for a service outside the configured service
 * catalog RELEASE_UNKNOWN_SERVICE. Suppression and canary judgement skip the same events
 * (readReleases with the same catalog), so nothing else depends on this processor running.
 */
import { Topics } from '../../topic-catalog.ts';
import { NOTHING, type Processor } from '../processor.ts';
import { validateReleaseEvent, type ReleaseEvent } from './release-table.ts';

/** Options of the release check. */
export interface ReleaseCheckOptions {
  /** Services a release may name; undefined = any. */
  readonly knownServices?: ReadonlySet<string>;
}

/** Creates `release-check`: releases in, nothing out but dead letters. */
export function createReleaseCheckProcessor(opts: ReleaseCheckOptions = {}): Processor<never, ReleaseEvent | null> {
  return {
    name: 'release-check',
    inputTopics: [Topics.releases],
    outputTopics: [],
    store: 'release-check',
    // Releases are a table, not a stream of windows: an old event is as valid as a new one.
    allowedLatenessMs: Number.MAX_SAFE_INTEGER,
    // A tombstone (a release deleted from the compacted topic) is not an error.
    eventTimeMs: (ev) => (ev === null ? 0 : ev.timestampMs),
    process(_store, record) {
      if (record.value === null) return NOTHING;
      const ev = record.value;
      validateReleaseEvent(ev, opts.knownServices);
      return NOTHING;
    },
  };
}
