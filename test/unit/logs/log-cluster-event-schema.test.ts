import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import avsc from 'avsc';

const schema = JSON.parse(readFileSync(new URL('../../../schemas/log-cluster-event.avsc', import.meta.url), 'utf8'));
const example = JSON.parse(readFileSync(new URL('../../../schemas/examples/log-cluster-event.json', import.meta.url), 'utf8'));

test('the example log-cluster event round-trips through the Avro schema unchanged', () => {
  const type = avsc.Type.forSchema(schema);
  // JSON round trip drops avsc's record classes so only the data is compared.
  assert.deepEqual(JSON.parse(JSON.stringify(type.fromBuffer(type.toBuffer(example)))), example);
});

test('the schema documents the record and every field, with the time unit in logical type and name', () => {
  assert.equal(schema.namespace, 'dev.fmeaflow.logs');
  const check = (rec: { doc?: string; fields: { name: string; doc?: string; type: unknown }[] }) => {
    assert.ok(rec.doc && rec.doc.length > 0);
    for (const f of rec.fields) {
      assert.ok(f.doc && f.doc.length > 0, `field ${f.name} has a doc`);
      const t = f.type as { logicalType?: string; type?: string; items?: unknown };
      if (t && typeof t === 'object' && t.logicalType === 'timestamp-millis') assert.ok(f.name.endsWith('Ms'), `${f.name} carries its unit`);
      if (t && typeof t === 'object' && t.type === 'array' && typeof t.items === 'object' && (t.items as { type?: string }).type === 'record') check(t.items as never);
    }
  };
  check(schema);
});
