/**
 * Runs Kafka's own perf tools (ProducerPerformance / ConsumerPerformance) from the Maven-resolved
 * classpath and parses their summary lines, so our figures can be set beside the reference's.
 */
import { spawnSync } from 'node:child_process';
import { stackPaths } from '../../streams/runtime/stack/stack-config.ts';

export interface PerfResult {
  readonly records: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
}

function runJava(mainClass: string, args: string[]): string {
  const res = spawnSync('java', ['-Xmx1g', '-cp', `${stackPaths().kafkaLibDir}/*`, mainClass, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`${mainClass} failed: ${res.stderr.slice(-2000)}`);
  return res.stdout;
}

/** Kafka's ProducerPerformance with fixed-size random payloads of `recordSize` bytes. */
export function javaProducerPerf(brokers: string, topic: string, records: number, recordSize: number, acks = '-1'): PerfResult {
  const out = runJava('org.apache.kafka.tools.ProducerPerformance', [
    '--topic', topic, '--num-records', String(records), '--record-size', String(recordSize), '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${brokers}`, `acks=${acks}`, 'compression.type=none',
  ]);
  // "N records sent, X records/sec (Y MB/sec), …" — the last such line is the total.
  const m = [...out.matchAll(/(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/g)].pop();
  if (!m) throw new Error(`unexpected ProducerPerformance output: ${out.slice(-500)}`);
  return { records: Number(m[1]), recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]) };
}

/** Kafka's ConsumerPerformance reading `records` from the beginning of `topic`. */
export function javaConsumerPerf(brokers: string, topic: string, records: number): PerfResult {
  const out = runJava('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', brokers, '--topic', topic, '--messages', String(records), '--timeout', '60000']);
  // CSV: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
  // fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec. The fetch.* rates exclude the group join, as the kafkajs timing
  // (from the first batch) does; nMsg.sec includes it and would flatter kafkajs.
  const line = out.trim().split('\n').pop()!;
  const cols = line.split(',').map((c) => c.trim());
  return { records: Number(cols[4]), recordsPerSec: Number(cols[9]), mbPerSec: Number(cols[8]) };
}
