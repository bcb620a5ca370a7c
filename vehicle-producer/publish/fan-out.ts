/**
 * Fans one drive out to N vehicles: clone k (k ≥ 1) gets vehicle id `<id>-x<k>`, event
 * times shifted by k·offset, and trace/span ids with their first four hex digits replaced
 * by k so traces stay unique per clone. Clone 0 is the original.
 */
import type { CanFrame } from '../can-frame.ts';
import type { TaggedRecord } from '../schemas.ts';

/** Vehicle id of clone k. */
export function cloneVehicleId(vehicleId: string, k: number): string {
  return k === 0 ? vehicleId : `${vehicleId}-x${k}`;
}

function cloneHexId(id: string | null, k: number): string | null {
  if (id === null || k === 0) return id;
  return k.toString(16).padStart(4, '0').slice(-4) + id.slice(4);
}

/** A frame of clone k (shifted). */
export function cloneFrame(f: CanFrame, k: number, offsetUs: number): CanFrame {
  return k === 0 ? f : { ...f, timestampUs: f.timestampUs + k * offsetUs };
}

/** A record of clone k (shifted, renamed); release events list every clone of their cohort. */
export function cloneRecord(r: TaggedRecord, k: number, offsetUs: number, fanOut: number): TaggedRecord | null {
  const ms = Math.round((k * offsetUs) / 1000);
  switch (r.kind) {
    case 'metrics':
      return { kind: 'metrics', value: { ...r.value, vehicleId: cloneVehicleId(r.value.vehicleId, k), timestampMs: r.value.timestampMs + ms } };
    case 'logs':
      return { kind: 'logs', value: { ...r.value, vehicleId: cloneVehicleId(r.value.vehicleId, k), timestampMs: r.value.timestampMs + ms, traceId: cloneHexId(r.value.traceId, k), spanId: cloneHexId(r.value.spanId, k) } };
    case 'spans': {
      const us = k * offsetUs;
      return {
        kind: 'spans',
        value: { ...r.value, vehicleId: cloneVehicleId(r.value.vehicleId, k), traceId: cloneHexId(r.value.traceId, k)!, spanId: cloneHexId(r.value.spanId, k)!, parentSpanId: cloneHexId(r.value.parentSpanId, k), startTimeUs: r.value.startTimeUs + us, endTimeUs: r.value.endTimeUs + us },
      };
    }
    case 'releases': {
      // One release for the whole fleet: emitted once, with every clone of the cohort.
      if (k !== 0) return null;
      const clones = (xs: readonly string[]): string[] => xs.flatMap((id) => Array.from({ length: fanOut }, (_, j) => cloneVehicleId(id, j)));
      const history = r.value.history?.map((h) => ({ ...h, cohortVehicleIds: clones(h.cohortVehicleIds) }));
      return { kind: 'releases', value: { ...r.value, cohortVehicleIds: clones(r.value.cohortVehicleIds), ...(history ? { history } : {}) } };
    }
  }
}
