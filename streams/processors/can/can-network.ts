/**
 * What each vehicle model's CAN buses should carry, as the CAN feature processor sees it:
 * per model (the `model` of fmeaflow.vehicles.v1) and bus, the nominal and CAN FD data
 * bitrates and the periodic messages every vehicle of that model must send (cycle time and
 * DLC). Read from a network file by streams/can-network.ts; a vehicle whose model or bus is
 * not listed is judged against the schedule it is learned to send (feature-window.ts).
 */

/** Expected periodic traffic of one bus: arbitration id → cycle time (ms) and DLC. */
export interface BusSchedule {
  readonly cycleTimesMs: ReadonlyMap<number, number>;
  readonly expectedDlc?: ReadonlyMap<number, number>;
}

/** One configured bus of a model. */
export interface BusNetwork extends BusSchedule {
  /** Nominal (arbitration) bitrate, bit/s. */
  readonly bitrateBps?: number;
  /** CAN FD data-phase bitrate for BRS frames, bit/s. */
  readonly dataBitrateBps?: number;
}

/** Model → bus name → network. */
export type CanNetworks = ReadonlyMap<string, ReadonlyMap<string, BusNetwork>>;

/** The configured bus of a vehicle's model, if the model and the bus are in the networks. */
export function busNetworkOf(networks: CanNetworks | undefined, model: string | undefined, bus: string): BusNetwork | undefined {
  if (!networks || model === undefined) return undefined;
  return networks.get(model)?.get(bus);
}
