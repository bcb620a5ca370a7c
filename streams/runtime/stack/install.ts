/**
 * Installs the local stack's artifacts from Maven Central into the cache folder: Kafka jars
 * (run from a classpath, no tarball download needed) and the Apicurio Registry distribution.
 * Idempotent: a complete install is detected by marker files and skipped.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, FmeaflowError } from '../../errors.ts';
import { stackPaths, type StackPaths } from './stack-config.ts';

const MARKER = '.installed';
/** 3.0.9 is the newest Apicurio 3.x that runs on Java 17 (3.3.x is built for Java 21). */
export const APICURIO_VERSION = '3.0.9';

/** True when both the Kafka classpath and the registry distribution are present. */
export function isInstalled(paths: StackPaths = stackPaths()): boolean {
  return fs.existsSync(path.join(paths.kafkaLibDir, MARKER)) && fs.existsSync(path.join(paths.registryDir, MARKER));
}

/** The registry's runnable jar inside the extracted distribution. */
export function registryRunnerJar(paths: StackPaths = stackPaths()): string {
  const jar = fs.existsSync(paths.registryDir) ? fs.readdirSync(paths.registryDir).find((f) => f.endsWith('-runner.jar') || f === 'quarkus-run.jar') : undefined;
  if (!jar) throw new FmeaflowError(ErrorCodes.STACK_INSTALL_FAILED, `no registry runner jar in ${paths.registryDir}; run: npx tsx streams/cli.ts stack install`);
  return path.join(paths.registryDir, jar);
}

function run(cmd: string, args: string[], what: string): void {
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.split('\n').filter((l) => /ERROR|error/.test(l)).slice(0, 8).join('\n');
    throw new FmeaflowError(ErrorCodes.STACK_INSTALL_FAILED, `${what} failed (${cmd} ${args.join(' ')}): ${res.error?.message ?? out}`, { retriable: true });
  }
}

/** Resolves and unpacks everything the local stack needs; returns what it did. */
export function installStack(paths: StackPaths = stackPaths(), log: (m: string) => void = () => {}): { installed: boolean } {
  if (isInstalled(paths)) return { installed: false };
  fs.mkdirSync(paths.kafkaLibDir, { recursive: true });
  log(`resolving Kafka and Apicurio Registry from Maven Central into ${paths.kafkaLibDir} …`);
  run('mvn', ['-q', '-B', '-f', paths.pom, 'dependency:copy-dependencies', `-DoutputDirectory=${paths.kafkaLibDir}`], 'Maven resolution');
  run('mvn', ['-q', '-B', '-f', paths.pom, 'dependency:copy', `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`, `-DoutputDirectory=${paths.kafkaLibDir}`], 'Maven resolution of the registry');
  const tarball = fs.readdirSync(paths.kafkaLibDir).find((f) => f.startsWith('apicurio-registry-app-') && f.endsWith('.tar.gz'));
  if (!tarball) throw new FmeaflowError(ErrorCodes.STACK_INSTALL_FAILED, `Maven did not deliver the Apicurio Registry tarball into ${paths.kafkaLibDir}`);
  fs.rmSync(paths.registryDir, { recursive: true, force: true });
  fs.mkdirSync(paths.registryDir, { recursive: true });
  log(`unpacking ${tarball} …`);
  run('tar', ['xzf', path.join(paths.kafkaLibDir, tarball), '-C', paths.registryDir], 'unpacking the registry');
  registryRunnerJar(paths);
  fs.writeFileSync(path.join(paths.kafkaLibDir, MARKER), new Date().toISOString());
  fs.writeFileSync(path.join(paths.registryDir, MARKER), new Date().toISOString());
  return { installed: true };
}
