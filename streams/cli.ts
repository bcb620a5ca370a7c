#!/usr/bin/env node
/**
 * The `fmeaflow` command line. Every file in streams/commands/ adds one top-level command, so
 * areas of the project extend the CLI without editing a shared switch statement.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { FmeaflowError } from './errors.ts';
import { redactText } from './runtime/observability/redact.ts';
import { authFailure } from './runtime/kafka/kafka-errors.ts';
import { applyTopicPrefix } from './config/topic-prefix.ts';

/** Builds the program with every command module registered. */
export async function buildProgram(): Promise<Command> {
  const program = new Command('fmeaflow')
    .description('Vehicle telemetry on Kafka → drift, log clusters, CAN anomalies → RPN/AP-ranked FMEA actions')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .exitOverride();
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { register?: (p: Command) => void };
    if (typeof mod.register === 'function') mod.register(program);
  }
  // Every subcommand inherits the same error behaviour as the root.
  for (const c of program.commands) c.showHelpAfterError('(add --help for usage)').showSuggestionAfterError(true).exitOverride();
  return program;
}

/** Prints an error the way users should see it and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (and help hint); help/version exit with 0.
    return err.exitCode === 0 ? 0 : 2;
  }
  // A broker refusing credentials or an ACL deep inside a kafkajs error is still one clear line.
  const auth = err instanceof FmeaflowError ? undefined : authFailure(err);
  if (auth) err = auth;
  if (err instanceof FmeaflowError) {
    process.stderr.write(`fmeaflow: ${redactText(err.message)} [${err.code}]\n`);
    return err.code === 'CLI_BAD_ARGUMENT' ? 2 : 1;
  }
  process.stderr.write(`fmeaflow: ${redactText(err instanceof Error ? (err.stack ?? err.message) : String(err))}\n`);
  return 1;
}

export async function main(): Promise<void> {
  try {
    // Before any command module loads: they name topics, and the catalog reads the prefix once.
    applyTopicPrefix(process.argv.slice(2));
  } catch (err) {
    process.exitCode = reportError(err);
    return;
  }
  const program = await buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
