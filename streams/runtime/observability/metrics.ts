/**
 * Prometheus metrics of one worker. Every drop has a counter (late, DLQ, aborts), so
 * "nothing lost quietly" can be checked from `/metrics`.
 */
import client from 'prom-client';

/** The worker's metric instruments, registered in their own registry. */
export class RuntimeMetrics {
  readonly registry: client.Registry;
  readonly recordsIn: client.Counter<'processor' | 'topic'>;
  readonly recordsOut: client.Counter<'processor' | 'topic'>;
  readonly batchSeconds: client.Histogram<'processor'>;
  readonly recordLatencySeconds: client.Histogram<'processor'>;
  readonly consumerLag: client.Gauge<'processor' | 'topic' | 'partition'>;
  readonly dlq: client.Counter<'processor' | 'code'>;
  readonly late: client.Counter<'processor'>;
  readonly restoreSeconds: client.Histogram<'processor'>;
  readonly restoreRecords: client.Counter<'processor'>;
  readonly txnCommits: client.Counter<'processor'>;
  readonly txnAborts: client.Counter<'processor' | 'reason'>;
  readonly stateKeys: client.Gauge<'processor' | 'partition'>;
  readonly processorEvents: client.Counter<'processor' | 'kind'>;
  readonly rulesRefused: client.Counter<'processor'>;
  readonly rulesActiveVersion: client.Gauge<'processor' | 'fingerprint'>;
  readonly logInputLines: client.Gauge<'partition' | 'kind'>;
  readonly alerts: client.Counter<'processor' | 'outcome' | 'rule' | 'reason'>;
  readonly logClusterEvents: client.Counter<'processor' | 'type'>;
  readonly registryErrors: client.Counter<'kind' | 'cached'>;

  constructor(registry = new client.Registry()) {
    this.registry = registry;
    const r = [registry];
    this.recordsIn = new client.Counter({ name: 'fmeaflow_records_in_total', help: 'Records read, per processor and input topic', labelNames: ['processor', 'topic'], registers: r });
    this.recordsOut = new client.Counter({ name: 'fmeaflow_records_out_total', help: 'Records written (outputs, late, DLQ), per processor and topic', labelNames: ['processor', 'topic'], registers: r });
    this.batchSeconds = new client.Histogram({ name: 'fmeaflow_batch_duration_seconds', help: 'Time from batch fetch to transaction commit', labelNames: ['processor'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r });
    this.recordLatencySeconds = new client.Histogram({ name: 'fmeaflow_record_latency_seconds', help: 'Append time of an input record to commit of its outputs', labelNames: ['processor'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r });
    this.consumerLag = new client.Gauge({ name: 'fmeaflow_consumer_lag_records', help: 'High watermark minus position after the last batch', labelNames: ['processor', 'topic', 'partition'], registers: r });
    this.dlq = new client.Counter({ name: 'fmeaflow_dlq_total', help: 'Records sent to the dead-letter topic, by error code', labelNames: ['processor', 'code'], registers: r });
    this.late = new client.Counter({ name: 'fmeaflow_late_records_total', help: 'Records behind the watermark, routed to the late topic', labelNames: ['processor'], registers: r });
    this.restoreSeconds = new client.Histogram({ name: 'fmeaflow_restore_duration_seconds', help: 'Time to restore state stores from changelogs', labelNames: ['processor'], buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: r });
    this.restoreRecords = new client.Counter({ name: 'fmeaflow_restore_records_total', help: 'Changelog records replayed during restores', labelNames: ['processor'], registers: r });
    this.txnCommits = new client.Counter({ name: 'fmeaflow_transactions_committed_total', help: 'Committed transactions (EOS) or offset commits (at-least-once)', labelNames: ['processor'], registers: r });
    this.txnAborts = new client.Counter({ name: 'fmeaflow_transactions_aborted_total', help: 'Aborted transactions; their partitions are re-read and state restored', labelNames: ['processor', 'reason'], registers: r });
    this.stateKeys = new client.Gauge({ name: 'fmeaflow_state_keys', help: 'Keys in the state store per processor and partition', labelNames: ['processor', 'partition'], registers: r });
    this.processorEvents = new client.Counter({ name: 'fmeaflow_processor_events_total', help: 'Events processors reported (logged by the runtime), by kind', labelNames: ['processor', 'kind'], registers: r });
    this.rulesRefused = new client.Counter({ name: 'fmeaflow_rules_refused_total', help: 'Published FMEA rule sets refused by validation (the previous set stayed active)', labelNames: ['processor'], registers: r });
    this.rulesActiveVersion = new client.Gauge({ name: 'fmeaflow_rules_active_version', help: 'Active FMEA rule set: newest publication time of its worksheets (epoch s), labelled by the set fingerprint', labelNames: ['processor', 'fingerprint'], registers: r });
    this.logInputLines = new client.Gauge({ name: 'fmeaflow_log_input_lines', help: 'Log input the log-clusters processor repaired, dropped or could not attribute, by kind (LOG_INPUT_COUNTERS in processors/logs/log-store.ts); totals from its store per partition', labelNames: ['partition', 'kind'], registers: r });
    this.alerts = new client.Counter({ name: 'fmeaflow_alerts_total', help: 'Alert records published, by outcome (pending|fired|suppressed|resolved; processors/alerts/alert-outcome.ts), rule and reason (the suppressing policy, unsuppressible, none)', labelNames: ['processor', 'outcome', 'rule', 'reason'], registers: r });
    this.registryErrors = new client.Counter({ name: 'fmeaflow_registry_errors_total', help: 'Failed schema-id lookups by kind (not_found, client_error: the record is dead-lettered; server_error, timeout, unreachable: retried with backoff, then the batch is re-read); cached="true" are unknown ids answered from the negative cache', labelNames: ['kind', 'cached'], registers: r });
    this.logClusterEvents = new client.Counter({ name: 'fmeaflow_log_cluster_events_total', help: 'Log-cluster trend events published on fmeaflow.log-clusters.v1, by type (NEW, RATE_UP, ...)', labelNames: ['processor', 'type'], registers: r });
  }
}
