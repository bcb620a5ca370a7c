import { test } from 'node:test';
import { Topics } from '../../streams/topic-catalog.ts';
import { runOffline } from './drive-pipeline.ts';
import { checkGrayReleaseAlerts, type Alert } from './gray-release-checks.ts';

// Replay runtime; the real-broker fleet test (kafka-fleet.test.ts) applies the same checks.
test('gray-release drive: alerts are suppressed and published exactly as the policies say', async () => {
  const out = await runOffline(['gray-release-latency']);
  checkGrayReleaseAlerts((out[Topics.alerts] ?? []).map((o) => o.value as Alert));
});
