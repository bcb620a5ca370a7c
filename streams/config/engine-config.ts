/**
 * The one loader of the engine's configuration files: the suppression policy file (policies,
 * service catalog, alert rules), the known series with their noise floors, the occurrence table
 * and the CAN network. Each file is read once, when a worker, the demo or a replay starts, into one
 * EngineConfig; the topology only wires processors with it. FMEA worksheets are not here: the engine
 * reads them from the rules topic (`rules publish`), so they can change while it runs.
 */
import path from 'node:path';
import { loadCanNetworkFile } from '../can-network.ts';
import type { CanNetworks } from '../processors/can/can-network.ts';
import { loadKnownSeriesEntries, loadOccurrenceTable, type KnownSeriesEntry } from '../fmea/rule-files.ts';
import type { OccurrenceTable } from '../processors/fmea/occurrence.ts';
import type { PolicySet } from '../processors/suppression/policy-types.ts';
import { loadPolicyFile } from './policy-file-loader.ts';
import { PROJECT_ROOT } from './project-root.ts';

export interface EngineConfig {
  /** Gray-release suppression policies, the service catalog (`services`) and alert rules. */
  readonly policies: PolicySet;
  /** Series known to exist, some with a noise floor; undefined when the rules folder has no known-series.yaml. */
  readonly knownSeries: readonly KnownSeriesEntry[] | undefined;
  /** Failures per 1000 vehicles → observed O. */
  readonly occurrenceTable: OccurrenceTable;
  /** CAN networks per vehicle model (DBCs, bitrates, periodic messages); other models get a learned schedule. */
  readonly canNetworks: CanNetworks;
}

/** Where the configuration files are; every one has a bundled default. */
export interface EngineConfigFiles {
  /** Folder of occurrence-table.yaml and known-series.yaml (default fmea-rules/). */
  readonly rulesDir?: string;
  /** Suppression policy file (default config/suppression-policies.yaml). */
  readonly policiesFile?: string;
  /** CAN networks per vehicle model (default config/can-networks.yaml). */
  readonly canNetworkFile?: string;
}

/** Reads every configuration file once; a missing or invalid file is a typed error naming file and line. */
export function loadEngineConfig(files: EngineConfigFiles = {}): EngineConfig {
  const rulesDir = files.rulesDir ?? path.join(PROJECT_ROOT, 'fmea-rules');
  return {
    policies: loadPolicyFile(files.policiesFile),
    knownSeries: loadKnownSeriesEntries(path.join(rulesDir, 'known-series.yaml')),
    occurrenceTable: loadOccurrenceTable(path.join(rulesDir, 'occurrence-table.yaml')),
    canNetworks: loadCanNetworkFile(files.canNetworkFile),
  };
}
