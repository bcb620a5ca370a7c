/** `fmeaflow policies lint`: validate gray-release alert suppression policy files. */
import type { Command } from 'commander';
import { ErrorCodes, FmeaflowError } from '../errors.ts';
import { formatPolicyIssue, lintPolicyFile, POLICY_FILE_LIMITS } from '../processors/suppression/policy-file.ts';
import { readBoundedText } from '../config/read-bounded-text.ts';

/** Adds the `policies` command group. */
export function register(program: Command): void {
  program
    .command('policies')
    .description('gray-release alert suppression policies')
    .command('lint')
    .description('validate a policy file (YAML, JSON Schema, matchers); prints file:line:column (field) per problem')
    .argument('[file]', 'policy file', 'config/suppression-policies.yaml')
    .action((file: string) => {
      let text: string;
      try {
        text = readBoundedText(file, POLICY_FILE_LIMITS.maxBytes + 1);
      } catch {
        throw new FmeaflowError(ErrorCodes.BAD_CLI_ARGUMENT, `cannot read policy file "${file}"; give the path of a YAML policy file, e.g. config/suppression-policies.yaml`);
      }
      const issues = lintPolicyFile(text, file);
      for (const i of issues) process.stdout.write(`${formatPolicyIssue(i)}\n`);
      process.stdout.write(`${issues.length} error(s)\n`);
      if (issues.length) process.exitCode = 1;
    });
}
