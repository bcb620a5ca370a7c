/** The README's error-code table lists exactly the codes the code base can raise, so an operator can look up any code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes } from '../../../streams/errors.ts';
import { PROJECT_ROOT } from '../../../streams/runtime/stack/stack-config.ts';

test('README "Error codes" names every ErrorCodes value once, and nothing else', () => {
  const readme = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('\n## ', readme.indexOf('## Error codes') + 1));
  const documented = [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);
  assert.deepEqual([...documented].sort(), [...new Set(Object.values(ErrorCodes))].sort());
  assert.equal(new Set(documented).size, documented.length, 'each code once');
});
