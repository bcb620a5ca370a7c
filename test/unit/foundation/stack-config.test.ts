import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverProperties } from '../../../streams/runtime/stack/kafka-server.ts';
import { defaultKafkaInstance } from '../../../streams/runtime/stack/stack-config.ts';
import { stackEndpoints } from '../../../streams/runtime/stack/stack.ts';

test('the local broker listens on loopback only and is configured for single-node transactions', () => {
  const props = serverProperties(defaultKafkaInstance({}));
  for (const line of ['offsets.topic.replication.factor=1', 'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1', 'process.roles=broker,controller']) {
    assert.ok(props.split('\n').includes(line), `missing ${line}`);
  }
  const listeners = props.split('\n').find((l) => l.startsWith('listeners='))!;
  for (const l of listeners.slice('listeners='.length).split(',')) assert.match(l, /\/\/127\.0\.0\.1:\d+$/);
});

test('configured endpoints mean nothing local is started', () => {
  const ep = stackEndpoints({ KAFKA_BROKERS: 'kafka-a:9092, kafka-b:9092', SCHEMA_REGISTRY_URL: 'http://reg:8081' });
  assert.deepEqual(ep.brokers, ['kafka-a:9092', 'kafka-b:9092']);
  assert.equal(ep.externalKafka, true);
  assert.equal(ep.externalRegistry, true);
  const local = stackEndpoints({ FMEAFLOW_KAFKA_PORT: '29092' });
  assert.deepEqual(local.brokers, ['127.0.0.1:29092']);
  assert.equal(local.externalKafka, false);
});

test('a bad port in the environment is rejected with the variable name', () => {
  assert.throws(() => defaultKafkaInstance({ FMEAFLOW_KAFKA_PORT: '99999' }), (e: unknown) => (e as { code?: string }).code === 'CONFIG_INVALID' && /FMEAFLOW_KAFKA_PORT=99999/.test((e as Error).message));
});
