/**
 * Apicurio Registry 3.x, serving the Confluent-compatible API that @kafkajs/confluent-schema-registry
 * talks to unchanged. Its schemas are kept in an H2 file database: the broker keeps its topics across
 * `stack down`/`stack up`, and a registry that forgot the schema ids their records carry would make
 * every earlier record undecodable (SERDE_UNKNOWN_SCHEMA_ID in the DLQ and the global-table logs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { registryRunnerJar } from './install.ts';
import { runningPid, startDetached, stopRecorded, waitUntil, type ManagedProcess } from './managed-process.ts';
import { registryUrlOf, stackPaths, type RegistryInstanceConfig, type StackPaths } from './stack-config.ts';

const NAME = 'registry';

/** Whether a Confluent-compatible registry answers at `url` (…/apis/ccompat/v7 or a Confluent root). */
export async function registryReachable(url: string, timeoutMs = 3000): Promise<boolean> {
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts the registry unless one already answers on the port; waits until it serves /subjects. */
export async function startRegistry(r: RegistryInstanceConfig, paths: StackPaths = stackPaths()): Promise<{ started: boolean; process?: ManagedProcess }> {
  const url = registryUrlOf(r);
  if (!r.basicAuthUsers && (await registryReachable(url))) return { started: false };
  const jar = registryRunnerJar(paths);
  fs.mkdirSync(path.join(r.runDir, 'config'), { recursive: true });
  // Quarkus reads config/application.properties from its working directory: passwords stay off the command line (ps).
  fs.writeFileSync(path.join(r.runDir, 'config', 'application.properties'), basicAuthProperties(r.basicAuthUsers ?? []), { mode: 0o600 });
  const proc = startDetached(NAME, r.runDir, 'java', [
    `-Xmx${r.heapMb}m`,
    `-Dquarkus.http.port=${r.port}`,
    `-Dquarkus.http.host=${r.host}`,
    '-Dapicurio.storage.kind=sql',
    '-Dapicurio.storage.sql.kind=h2',
    `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(r.dataDir, 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
    '-Dquarkus.log.level=WARN',
    '-jar',
    jar,
  ], r.runDir);
  // 401 answers too: the registry is up, it just wants credentials.
  await waitUntil(() => (r.basicAuthUsers ? registryAnswers(url) : registryReachable(url, 1000)), { timeoutMs: 90_000, pid: proc.pid, what: `schema registry at ${url}`, logFile: proc.logFile });
  return { started: true, process: proc };
}

/** Stops the registry this project started. */
export async function stopRegistry(r: RegistryInstanceConfig): Promise<boolean> {
  return stopRecorded(r.runDir, NAME);
}

/** Pid of the registry this project started, if running. */
export function registryPid(r: RegistryInstanceConfig): number | undefined {
  return runningPid(r.runDir, NAME);
}

/** Error for an unreachable registry that tells the user how to get one. */
export function registryUnreachable(url: string): FmeaflowError {
  return new FmeaflowError(ErrorCodes.REGISTRY_UNREACHABLE, `schema registry not reachable at ${url}; start the local one with: npx tsx streams/cli.ts stack up (or set SCHEMA_REGISTRY_URL)`, { retriable: true });
}

/** Embedded users with basic auth on every path (Apicurio ships Quarkus' properties-file realm); empty = open. */
function basicAuthProperties(users: readonly { name: string; password: string }[]): string {
  if (users.length === 0) return '';
  return [
    'quarkus.http.auth.basic=true',
    'quarkus.security.users.embedded.enabled=true',
    'quarkus.security.users.embedded.plain-text=true',
    ...users.flatMap((u) => [`quarkus.security.users.embedded.users.${u.name}=${u.password}`, `quarkus.security.users.embedded.roles.${u.name}=sr-admin`]),
    'quarkus.http.auth.permission.all.paths=/*',
    'quarkus.http.auth.permission.all.policy=authenticated',
    '',
  ].join('\n');
}

/** True when the registry answers HTTP at all (any status). */
async function registryAnswers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}
