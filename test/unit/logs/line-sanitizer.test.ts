import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY_MARKER, TRUNCATION_MARKER, sanitizeLine } from '../../../streams/processors/logs/line-sanitizer.ts';

test('empty and whitespace-only lines are reported empty', () => {
  assert.equal(sanitizeLine('').empty, true);
  assert.equal(sanitizeLine(' \t \r\n').empty, true);
});

test('a 1 MB line is cut to the limit and marked', () => {
  const r = sanitizeLine('x'.repeat(1024 * 1024), 4096);
  assert.equal(r.truncated, true);
  assert.equal(r.text, `${'x'.repeat(4096)} ${TRUNCATION_MARKER}`);
});

test('invalid UTF-8 bytes become U+FFFD and are counted', () => {
  const bytes = new Uint8Array([...Buffer.from('temp '), 0xff, 0xfe, ...Buffer.from(' high')]);
  const r = sanitizeLine(bytes);
  assert.equal(r.replacementChars, 2);
  assert.equal(r.text, 'temp \ufffd\ufffd high');
  assert.equal(r.binary, false);
  // A lone surrogate in a JS string is the same defect after a lossy decode elsewhere.
  assert.equal(sanitizeLine('a \ud800 b').replacementChars, 1);
});

test('binary garbage collapses to one marker token', () => {
  const garbage = new Uint8Array(200).map((_, i) => (i * 37) % 32);
  const r = sanitizeLine(garbage);
  assert.equal(r.binary, true);
  assert.equal(r.text, BINARY_MARKER);
});

test('control characters become spaces', () => {
  assert.equal(sanitizeLine('brake\u0000pressure\u001blow warning').text, 'brake pressure low warning');
});
