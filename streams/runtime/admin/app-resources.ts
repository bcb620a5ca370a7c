/**
 * What one application id owns on the broker — the changelogs of its stores, its repartition
 * topics and one consumer group per processor — and deleting it. Names are computed from the
 * topology, never matched by prefix: app ids contain dashes, so `fmeaflow-demo` as a prefix would
 * also match `fmeaflow-demo-x`'s topics. Output topics are shared by every app and never touched.
 */
import type { Admin } from 'kafkajs';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import type { Processor } from '../../processors/processor.ts';
import { changelogTopic } from '../kafka/internal-topics.ts';
import { waitForTopicsGone } from './topic-readiness.ts';

/** Internal topics and consumer groups of one app id. */
export interface AppResources {
  readonly app: string;
  readonly topics: readonly string[];
  readonly groups: readonly string[];
}

/** What a deletion found and removed. */
export interface AppCleanupReport {
  readonly deletedTopics: string[];
  readonly deletedGroups: string[];
}

/** The internal topics and groups the runtime creates for `app` running `processors`. */
export function appResources(app: string, processors: readonly Processor<any, any>[]): AppResources {
  const topics = new Set<string>();
  for (const p of processors) {
    topics.add(changelogTopic(app, p.store));
    for (const t of [...p.inputTopics, ...p.outputTopics]) if (t.startsWith(`${app}-`) && t.endsWith('-repartition')) topics.add(t);
  }
  return { app, topics: [...topics].sort(), groups: [...new Set(processors.map((p) => `${app}-${p.name}`))].sort() };
}

/**
 * Deletes the app's consumer groups and internal topics that exist. Refuses (retriable) while
 * any of its groups has members: deleting a running worker's changelog would lose its state.
 */
export async function deleteAppResources(admin: Admin, r: AppResources, opts: { dryRun?: boolean } = {}): Promise<AppCleanupReport> {
  const listed = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
  const groups = r.groups.filter((g) => listed.has(g));
  if (groups.length > 0) {
    const described = await admin.describeGroups(groups);
    const running = described.groups.filter((g) => g.members.length > 0);
    if (running.length > 0) {
      throw new FmeaflowError(
        ErrorCodes.APP_STILL_RUNNING,
        `app ${r.app} is still running (${running.map((g) => `${g.groupId}: ${g.members.length} member(s)`).join(', ')}); stop its workers, then run this again`,
        { retriable: true, details: { app: r.app, groups: running.map((g) => g.groupId) } },
      );
    }
  }
  const existing = new Set(await admin.listTopics());
  const topics = r.topics.filter((t) => existing.has(t));
  if (!opts.dryRun) {
    if (groups.length > 0) await admin.deleteGroups(groups);
    if (topics.length > 0) {
      await admin.deleteTopics({ topics });
      await waitForTopicsGone(admin, topics);
    }
  }
  return { deletedTopics: topics, deletedGroups: groups };
}
