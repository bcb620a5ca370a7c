/**
 * Prometheus metrics of the vehicle producer (prom-client), in their own registry so
 * the runtime's /metrics can merge them (`Registry.merge`) without name clashes.
 */
import client from 'prom-client';

/** The producer's metric registry. */
export const producerRegistry = new client.Registry();

const counter = (name: string, help: string, labelNames: string[] = []): client.Counter => new client.Counter({ name, help, labelNames, registers: [producerRegistry] });

/** The producer's metrics. */
export const producerMetrics = {
  framesRead: counter('fmeaflow_producer_frames_read_total', 'CAN frames read from captures, drives or live interfaces'),
  framesDecoded: counter('fmeaflow_producer_frames_decoded_total', 'CAN frames decoded into signals with a DBC'),
  framesUndecoded: counter('fmeaflow_producer_frames_undecoded_total', 'CAN data frames passed through undecoded with a DBC loaded (unknown_id: no DBC defines the id; decode_error: payload does not fit the message)', ['reason']),
  framesDropped: counter('fmeaflow_producer_frames_dropped_total', 'CAN frames dropped before batching', ['reason']),
  recordsEncoded: counter('fmeaflow_producer_records_encoded_total', 'Records encoded to Avro', ['topic']),
  recordsSent: counter('fmeaflow_producer_records_sent_total', 'Records acknowledged by the broker'),
  spooled: counter('fmeaflow_producer_records_spooled_total', 'Records written to the store-and-forward spool'),
  spoolDropped: counter('fmeaflow_producer_spool_dropped_total', 'Spooled records dropped because the spool was full (oldest first)'),
  spoolPending: new client.Gauge({ name: 'fmeaflow_producer_spool_pending_records', help: 'Records waiting in the spool', registers: [producerRegistry] }),
  logsSampledOut: counter('fmeaflow_producer_logs_sampled_out_total', 'Log lines dropped by adaptive sampling'),
  inputErrors: counter('fmeaflow_producer_input_errors_total', 'Input lines that could not be parsed or validated', ['source']),
  // Vehicles per rate, not a rate per vehicle: a vehicle id is unbounded (and identifies a car), the rate ladder has 19 steps.
  samplingVehicles: new client.Gauge({ name: 'fmeaflow_producer_log_sampling_vehicles', help: 'Vehicles whose adaptive log sampling rate is currently `rate` (0.1 healthy … 1 all lines kept)', labelNames: ['rate'], registers: [producerRegistry] }),
};

/** Keeps `fmeaflow_producer_log_sampling_vehicles` equal to this replay's vehicles counted by their current rate. */
export class SamplingRateGauge {
  private readonly current = new Map<string, number>();

  track(vehicleId: string, rate: number): void {
    const before = this.current.get(vehicleId);
    if (before === rate) return;
    if (before !== undefined) producerMetrics.samplingVehicles.dec({ rate: String(before) });
    producerMetrics.samplingVehicles.inc({ rate: String(rate) });
    this.current.set(vehicleId, rate);
  }
}
