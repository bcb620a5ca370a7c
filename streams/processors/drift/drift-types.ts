/**
 * Records the baseline/drift stage publishes: the baseline per series (compacted
 * `fmeaflow.baselines.v1`, schemas/baseline.avsc) and drift events (`fmeaflow.drift.v1`,
 * schemas/drift-event.avsc). A drifting series emits one event per window (ONSET, then
 * ONGOING) so downstream alert rules see the condition as long as it holds, and a
 * closing RECOVERED or REBASELINED event when it stops.
 */

/** Which detector raised the drift: the field rule's two, or one of the adaptive detector's scores. */
export type DriftDetector = 'Z_RULE' | 'EWMA_CHART' | 'SPIKE' | 'SHIFT' | 'LIKELIHOOD';

/** Where a drift event sits in the drift's life. */
export type DriftPhase = 'ONSET' | 'ONGOING' | 'RECOVERED' | 'REBASELINED';

/** Value of `fmeaflow.baselines.v1`, key = seriesId. */
export interface BaselineRecord {
  readonly seriesId: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly scope: string;
  readonly mean: number;
  readonly stdDev: number;
  readonly referenceMean: number;
  readonly referenceStdDev: number;
  readonly windowsLearned: number;
  readonly warmingUp: boolean;
  readonly status: 'NORMAL' | 'DRIFTING';
  readonly driftSinceMs: number | null;
  readonly alpha: number;
  readonly lastWindowEndMs: number;
  /** Value of the window just judged, so a chart can draw the series beside its band (null: nothing judged yet). */
  readonly value?: number | null;
}

/** Value of `fmeaflow.drift.v1`, key = seriesId. */
export interface DriftEvent {
  /** `<seriesId>#<windowStartMs>#<phase>`: unique per event, stable under replay. */
  readonly eventId: string;
  readonly seriesId: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly scope: string;
  readonly detector: DriftDetector;
  readonly phase: DriftPhase;
  readonly value: number;
  /** The level the detector judged against: the EWMA level for Z_RULE, the slow reference for EWMA_CHART. */
  readonly baselineMean: number;
  /** σ of that baseline (floored). */
  readonly baselineStdDev: number;
  /** (value − baselineMean) / baselineStdDev. */
  readonly zScore: number;
  /** EWMA chart statistic in σ0 units and its limit at this step; null when the chart is off. */
  readonly chartStatistic: number | null;
  readonly chartLimit: number | null;
  /** The window judged. */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  /** First window of the evidence (first of the consecutive |z| windows, or start of the chart's excursion). */
  readonly firstWindowStartMs: number;
  /** Windows of evidence (z-rule: consecutive |z| windows; chart: windows since the statistic last changed sign). */
  readonly evidenceWindows: number;
  /** Drifting windows so far in this drift. */
  readonly driftWindows: number;
  /** Window length, so consumers can tell when a heartbeat is missing. */
  readonly windowMs: number;
}
