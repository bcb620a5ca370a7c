/**
 * The named dimensions of a CAN feature vector, in a fixed order (the clustering uses the
 * order, rule files use the names). Units are part of the description because centroids
 * are published in original units and quality engineers write thresholds in them.
 */

export const CAN_FEATURE_DIMENSIONS = [
  'frames_per_s', //           frames per second of covered time
  'bus_load_actual', //        ratio 0..1: bits on the wire with the frame's actual stuff bits / (bitrate × covered time)
  'bus_load_worst', //         ratio 0..1: same with worst-case stuffing
  'missing_periodic_share', // ratio 0..1: expected periodic frames (from DBC cycle times) that did not arrive
  'cycle_jitter_ratio', //     mean |inter-arrival − cycle| / cycle over periodic ids
  'error_frame_share', //      ratio 0..1: error frames / all frames
  'dlc_mismatch_share', //     ratio 0..1: data frames whose DLC differs from the id's expected (or usual) DLC
  'id_collision_share', //     ratio 0..1: the same, for the worst id with ≥ 10 frames (collisions and reflections hit one id)
  'uds_request_count', //      UDS requests (0x7DF, 0x7E0–0x7E7 ISO-TP single/first frames) in the window
  'nrc_share', //              ratio 0..1: 0x7F negative responses / final responses, both without 0x78 responsePending
  'diag_latency_mean_ms', //   mean request → final response latency
  'diag_latency_offset_ms', // that mean minus the vehicle's EWMA baseline before this window
  'dtc_reports_per_s', //      0x59 ReadDTCInformation positive responses per second
  'dtc_active_per_s', //       reported DTC records with testFailed or confirmedDTC status per second
  'payload_entropy_bits', //   Shannon entropy of payload bytes, bits per byte (0..8)
] as const;

export type CanFeatureDimension = (typeof CAN_FEATURE_DIMENSIONS)[number];

/** True when `name` is a CAN feature dimension. */
export function isCanFeatureDimension(name: string): name is CanFeatureDimension {
  return (CAN_FEATURE_DIMENSIONS as readonly string[]).includes(name);
}
