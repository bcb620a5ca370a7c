import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { loadOccurrenceTable } from '../../../streams/fmea/rule-files.ts';
import { createFmeaEvaluateProcessor } from '../../../streams/processors/fmea/fmea-evaluate.ts';
import { Topics } from '../../../streams/topic-catalog.ts';
import { Driver } from './harness.ts';

const typeOf = (stem: string) => avro.Type.forSchema(JSON.parse(readFileSync(`schemas/${stem}.avsc`, 'utf8')));

function assertDocumented(schema: Record<string, unknown>, path = ''): void {
  assert.ok(typeof schema['doc'] === 'string' && schema['doc'], `${path || 'record'} has a doc`);
  for (const f of (schema['fields'] as Record<string, unknown>[]) ?? []) {
    assert.ok(typeof f['doc'] === 'string' && f['doc'], `${path}${String(f['name'])} has a doc`);
    if (/Ms$/.test(String(f['name'])) && typeof f['type'] === 'object' && (f['type'] as { type?: string }).type === 'long') {
      assert.equal((f['type'] as { logicalType?: string }).logicalType, 'timestamp-millis', `${String(f['name'])} carries its unit`);
    }
    const t = f['type'] as Record<string, unknown>;
    const items = t && typeof t === 'object' ? (t['items'] as Record<string, unknown> | undefined) : undefined;
    if (t && typeof t === 'object' && t['type'] === 'record') assertDocumented(t, `${String(f['name'])}.`);
    if (items && typeof items === 'object' && items['type'] === 'record') assertDocumented(items, `${String(f['name'])}[].`);
  }
}

for (const stem of ['can-feature-vector', 'can-cluster-snapshot', 'fmea-action']) {
  test(`${stem}: example round-trips through Avro and every field is documented`, () => {
    const schema = JSON.parse(readFileSync(`schemas/${stem}.avsc`, 'utf8'));
    assert.equal(schema.namespace.startsWith('dev.fmeaflow.'), true);
    assertDocumented(schema);
    const t = typeOf(stem);
    const example = JSON.parse(readFileSync(`schemas/examples/${stem}.json`, 'utf8'));
    assert.deepEqual(JSON.parse(JSON.stringify(t.fromBuffer(t.toBuffer(example)))), example);
  });
}

test('actions produced by the evaluation processor are valid fmea-action records', () => {
  const yaml = readFileSync('fmea-rules/can-network.yaml', 'utf8');
  const d = new Driver(createFmeaEvaluateProcessor({ occurrenceTable: loadOccurrenceTable('fmea-rules/occurrence-table.yaml'), fleetSize: 100 }));
  d.tables.set(Topics.rules, new Map([['can-network', { worksheet: 'can-network', sourceFile: 'x', yaml, sha256: createHash('sha256').update(yaml).digest('hex') }]]));
  const out = d.feed(Topics.canFeatures, { vehicleId: 'V1', bus: 'main', windowStartMs: 0, windowEndMs: 10_000, features: { id_collision_share: 0.5, error_frame_share: 0.5 }, dtcCodes: [] });
  assert.ok(out.length >= 1);
  const t = typeOf('fmea-action');
  for (const a of out) assert.ok(t.isValid(a, { errorHook: (p) => assert.fail(`invalid at ${p.join('.')}`) }));
});
