/**
 * Reads the suppression policy file the engine runs with (`--policies <file>`). A missing,
 * unreadable or invalid file is a typed error naming the file, what is wrong and how to fix
 * it, so a worker refuses to start with one line instead of a stack trace.
 */
import path from 'node:path';
import { ErrorCodes, FmeaflowError, SourceLocationError } from '../errors.ts';
import { parsePolicyFile, POLICY_FILE_LIMITS } from '../processors/suppression/policy-file.ts';
import type { PolicySet } from '../processors/suppression/policy-types.ts';
import { PROJECT_ROOT } from './project-root.ts';
import { readBoundedText } from './read-bounded-text.ts';

/** The policy file bundled with the engine. */
export const DEFAULT_POLICIES_FILE = path.join(PROJECT_ROOT, 'config', 'suppression-policies.yaml');

const HOW = 'pass a YAML policy file with --policies <file> (the bundled one is config/suppression-policies.yaml; `fmeaflow policies lint <file>` checks one)';

/** Reads and validates a policy file; throws CONFIG_INVALID (unreadable) or POLICY_INVALID (file:line:column (field)). */
export function loadPolicyFile(file: string = DEFAULT_POLICIES_FILE): PolicySet {
  let text: string;
  try {
    // One byte past the limit is enough for the parser to refuse the size.
    text = readBoundedText(file, POLICY_FILE_LIMITS.maxBytes + 1);
  } catch (err) {
    const code = err instanceof FmeaflowError ? String(err.details['reason']) : String(err);
    const what = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'NOT_A_FILE' ? 'is a device, FIFO or socket, not a file' : code === 'EACCES' ? 'not readable (permission denied)' : `cannot be read (${code})`;
    throw new FmeaflowError(ErrorCodes.BAD_CONFIG, `policy file ${file}: ${what}; ${HOW}`, { details: { file } });
  }
  try {
    return parsePolicyFile(text, file);
  } catch (err) {
    if (err instanceof SourceLocationError) {
      // Keep the location and say how to see every problem at once.
      const e = new SourceLocationError(err.code, `${err.message.slice(err.message.indexOf(': ') + 2)}; fix the file (\`fmeaflow policies lint ${file}\` lists every problem)`, { file: err.file, line: err.line, column: err.column, ...(err.field ? { field: err.field } : {}) });
      throw e;
    }
    throw err;
  }
}
