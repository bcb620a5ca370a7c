import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import avro from 'avsc';
import { EVIDENCE_ADAPTERS } from '../../../streams/processors/fmea/evidence/adapters.ts';
import type { Evidence } from '../../../streams/processors/fmea/evidence/evidence.ts';
import { TOPIC_SPECS, Topics } from '../../../streams/topic-catalog.ts';

/** The schema's example as the serde would hand it to a processor (Avro-decoded). */
function decodedExample(topic: string): Record<string, unknown> {
  const schema = TOPIC_SPECS.find((t) => t.name === topic)!.schema;
  const type = avro.Type.forSchema(JSON.parse(readFileSync(`schemas/${schema}`, 'utf8')));
  const example = JSON.parse(readFileSync(`schemas/examples/${schema.replace('.avsc', '.json')}`, 'utf8'));
  return type.fromBuffer(type.toBuffer(example)) as Record<string, unknown>;
}
const adapt = (topic: string, v: unknown): Evidence[] => EVIDENCE_ADAPTERS.get(topic)!.toEvidence(v);

test('every evidence topic of the catalog has an adapter', () => {
  for (const t of [Topics.logClusters, Topics.drift, Topics.alerts, Topics.canaryVerdicts, Topics.canFeatures, Topics.canClusters]) assert.ok(EVIDENCE_ADAPTERS.has(t), t);
});

test('log cluster event example → evidence with templates, vehicles and trace ids', () => {
  const v = decodedExample(Topics.logClusters) as { clusterId: string; eventType: string; windowEndMs: number; templates: { template: string }[]; vehicleCounts: { vehicleId: string }[]; examples: { traceId: string | null }[]; keywords: string[] };
  const [ev] = adapt(Topics.logClusters, v);
  assert.ok(ev && ev.kind === 'logCluster');
  assert.equal(ev.clusterId, v.clusterId);
  assert.equal(ev.eventType, v.eventType);
  assert.equal(ev.timeMs, Number(v.windowEndMs));
  assert.deepEqual(ev.templates, v.templates.map((t) => t.template));
  assert.deepEqual(ev.keywords, v.keywords);
  for (const c of v.vehicleCounts) assert.ok(ev.vehicles.includes(c.vehicleId));
  for (const e of v.examples) if (e.traceId) assert.ok(ev.traceIds.includes(e.traceId));
});

test('drift event and alert examples → series evidence (scope fleet means no vehicle)', () => {
  for (const topic of [Topics.drift, Topics.alerts]) {
    const v = decodedExample(topic) as { name: string; labels: Record<string, string>; scope: string; value: number; suppressed?: boolean };
    const [ev] = adapt(topic, v);
    assert.ok(ev && (ev.kind === 'drift' || ev.kind === 'alert'), topic);
    assert.equal(ev.series, v.name);
    assert.deepEqual(ev.labels, v.labels);
    assert.equal(ev.value, v.value);
    assert.deepEqual(ev.vehicles, v.scope === 'fleet' ? [] : [v.scope]);
    if (topic === Topics.alerts) assert.equal(ev.suppressed, v.suppressed);
  }
  const recovered = { ...decodedExample(Topics.drift), phase: 'RECOVERED' };
  assert.deepEqual(adapt(Topics.drift, recovered), []);
  const resolved = { ...decodedExample(Topics.alerts), state: 'RESOLVED' };
  assert.deepEqual(adapt(Topics.alerts, resolved), []);
});

test('canary verdict example → canary evidence with lower-case verdict', () => {
  const v = decodedExample(Topics.canaryVerdicts) as { releaseId: string; service: string; metric: string; verdict: string; evaluatedAtMs: number };
  const [ev] = adapt(Topics.canaryVerdicts, v);
  assert.ok(ev && ev.kind === 'canary');
  assert.equal(ev.verdict, v.verdict.toLowerCase());
  assert.equal(ev.metric, v.metric);
  assert.equal(ev.ref, `${v.releaseId}/${v.service}/${v.metric}`);
  assert.equal(ev.timeMs, Number(v.evaluatedAtMs));
});

test('CAN cluster snapshot example → one evidence per cluster, largest as normal', () => {
  const v = decodedExample(Topics.canClusters) as { clusters: { clusterId: number; size: number; centroid: Record<string, number> }[] };
  const evs = adapt(Topics.canClusters, v);
  assert.equal(evs.length, v.clusters.length);
  const largest = v.clusters.reduce((a, b) => (b.size > a.size ? b : a));
  for (const ev of evs) assert.ok(ev.kind === 'canCluster' && JSON.stringify(ev.normal) === JSON.stringify(largest.centroid));
});
