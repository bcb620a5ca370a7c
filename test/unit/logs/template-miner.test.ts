import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskLine } from '../../../streams/processors/logs/masking.ts';
import { TemplateMiner } from '../../../streams/processors/logs/template-miner.ts';

const add = (m: TemplateMiner, line: string) => m.add(maskLine(line), 0);

test('lines differing only in variables share a template; different events do not', () => {
  const m = new TemplateMiner();
  const a = add(m, 'PacketResponder 1 for block blk_38865049064139660 terminating');
  const b = add(m, 'PacketResponder 0 for block blk_-6952295868487656571 terminating');
  const c = add(m, 'Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010');
  assert.equal(a.change, 'created');
  assert.equal(b.templateId, a.templateId);
  assert.notEqual(c.templateId, a.templateId);
  assert.deepEqual(m.get(a.templateId)!.tokens, ['PacketResponder', '<NUM>', 'for', 'block', '<*>', 'terminating']);
});

test('a template generalises in place and keeps its id', () => {
  const m = new TemplateMiner();
  const a = add(m, 'login failed for alice from console');
  const b = add(m, 'login failed for bob from console');
  assert.equal(b.templateId, a.templateId);
  assert.equal(b.change, 'updated');
  assert.deepEqual(m.get(a.templateId)!.tokens, ['login', 'failed', 'for', '<*>', 'from', 'console']);
  assert.equal(m.get(a.templateId)!.count, 2);
});

test('snapshot and restore give an identical miner (same ids, same future assignments)', () => {
  const lines = ['conn 1 to 10.0.0.1 ok', 'conn 2 to 10.0.0.2 ok', 'disk /dev/sda1 full', 'conn 3 to 10.0.0.3 refused', 'disk /dev/sdb2 full'];
  const a = new TemplateMiner();
  for (const l of lines) add(a, l);
  const b = TemplateMiner.restore(JSON.parse(JSON.stringify(a.snapshot())));
  const next = ['conn 4 to 10.0.0.9 ok', 'fan speed 3000 rpm', 'disk /dev/sdc1 full', 'fan speed 2000 rpm'];
  assert.deepEqual(next.map((l) => add(b, l).templateId), next.map((l) => add(a, l).templateId));
  assert.deepEqual(b.templates(), a.templates());
});

test('a flood of unique lines keeps at most maxTemplates, evicting least recently used, counted', () => {
  const m = new TemplateMiner({ maxTemplates: 50 });
  const keep = add(m, 'heartbeat ok').templateId;
  for (let i = 0; i < 1000; i++) {
    // Each line has a unique word count pattern so none can join another template.
    add(m, `${'w'.repeat((i % 7) + 1)}${String.fromCharCode(97 + (i % 26))} unique${'x'.repeat(i % 13)} ${Array.from({ length: (i % 40) + 1 }, (_, j) => `k${String.fromCharCode(97 + ((i + j) % 26))}`).join(' ')}`);
    if (i % 10 === 0) add(m, 'heartbeat ok');
  }
  assert.ok(m.size <= 50);
  assert.ok(m.evictions > 0);
  assert.equal(m.evictions + m.size, m.snapshotNextId() - 1, 'every created template is either live or counted as evicted');
  assert.equal(m.resolve(keep), keep, 'a template in regular use is never the one evicted');
});

test('a line made mostly of masked variables joins the template of its like instead of founding a new one each time', () => {
  const m = new TemplateMiner();
  // Tokens with digits are variables (<*>) after masking: 3 of 4 positions here.
  const ids = ['ecu17 a1b2 c3d4 up', 'ecu19 f0e1 d2c3 up', 'ecu11 b7a6 9c8d up', 'ecu13 77aa 11bb up'].map((l) => add(m, l).templateId);
  assert.equal(new Set(ids).size, 1, `one template for the four lines, got ${ids}`);
  assert.notEqual(add(m, 'ecu17 a1b2 c3d4 down').templateId, ids[0], 'the constant still tells events apart');
});

test('templates never converge: no two live templates are equal and every line still fits the template its id resolves to', () => {
  // A small vocabulary with masked variables is the input most likely to make two templates meet.
  let seed = 1;
  const rnd = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const vocab = ['open', 'close', 'door', 'ecu', '<*>', 'ok'];
  const m = new TemplateMiner({ maxChildren: 4 });
  const given: { tokens: string[]; id: number }[] = [];
  for (let i = 0; i < 20_000; i++) {
    const tokens = Array.from({ length: 3 + Math.floor(rnd() * 3) }, () => vocab[Math.floor(rnd() * vocab.length)]!);
    given.push({ tokens, id: m.add(tokens, i).templateId });
  }
  const texts = m.templates().map((t) => t.tokens.join(' '));
  assert.equal(new Set(texts).size, texts.length, 'no two live templates are identical');
  for (const { tokens, id } of given) {
    // A merged id resolves to the survivor, which covers both; a split parent stays live and covers its children.
    // A line of another length than its template fits the template's shape at that length (a length variant).
    const r = m.get(m.resolve(id)!)!;
    const t = r.tokens.length === tokens.length ? r.tokens : r.variants?.find((v) => v.tokens.length === tokens.length)?.tokens ?? r.tokens;
    assert.ok(t.length === tokens.length && t.every((x, i) => x === '<*>' || x === tokens[i]), `${tokens.join(' ')} still fits its template ${t.join(' ')}`);
  }
});
