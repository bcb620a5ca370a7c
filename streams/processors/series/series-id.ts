/**
 * Canonical series identity. Labels are sorted so that the same label set always
 * yields the same id whatever order the producer wrote the map in; the id doubles as
 * the Kafka key of baselines, so it must be stable across versions.
 */

/** Canonical id `name{k="v",…}@scope` with labels sorted by key. */
export function seriesId(name: string, labels: Readonly<Record<string, string>>, scope: string): string {
  const keys = Object.keys(labels).sort();
  const body = keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',');
  return `${name}{${body}}@${scope}`;
}
