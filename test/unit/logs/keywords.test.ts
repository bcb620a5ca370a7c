import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keywordOf } from '../../../streams/processors/logs/cluster-event-builder.ts';

test('keywords drop masks, numbers, punctuation and function words', () => {
  assert.equal(keywordOf('EEPROM'), 'EEPROM');
  assert.equal(keywordOf('cells,'), 'cells');
  assert.equal(keywordOf('"timeout"'), 'timeout');
  assert.equal(keywordOf('<HEX>:'), undefined);
  assert.equal(keywordOf('<NUM>%'), undefined);
  assert.equal(keywordOf('250'), undefined);
  assert.equal(keywordOf('at'), undefined);
  assert.equal(keywordOf('After'), undefined);
  assert.equal(keywordOf('-'), undefined);
  assert.equal(keywordOf('x'), undefined);
});
