// The shapes of a compliance analysis (src/report/stats.ts computes it) and the method notes every
// format prints. Pure.
import type { DrillResult, Targets, Verdict } from '../measure/types.ts';

export const DAY_MS = 86_400_000;

export interface Distribution {
  n: number;
  min: number;
  median: number;
  p95: number;
  max: number;
}

export interface Drift {
  previousRunId: string;
  previousMs: number;
  deltaMs: number;
  /** null when the previous figure is 0. */
  deltaPct: number | null;
}

export interface RunFigures {
  runId: string;
  drill: string;
  variant: string;
  verdict: Verdict;
  reason?: string;
  startedAtMs: number;
  scored: boolean;
  rtoServiceMs: number | null;
  rtoFullMs: number | null;
  targets: Targets;
  /** RPO (count) = lost + corrupted; null when the ledger was not measured or the run was not scored. */
  rpoCount: number | null;
  rpoSeconds: number | null;
  nonPrefix: boolean;
  /** RTO(service) ≤ target; false when a scored run never recovered; null when not scored. */
  rtoWithinTarget: boolean | null;
  /** null when the run was not scored, nothing was measured, or no RPO is promised. */
  rpoWithinTarget: boolean | null;
  drift: Drift | null;
}

export interface TrendPoint {
  runId: string;
  variant: string;
  at: number;
  rtoMs: number | null;
  targetRtoMs: number;
  verdict: Verdict;
}

export interface GroupStats {
  runs: number;
  met: number;
  breached: number;
  inconclusive: number;
  aborted: number;
  /** Runs whose compensation gave up: the fault is still in place (or was until reverted by hand). */
  faultLeft: number;
  scored: number;
  /** MET / scored, 0..1 (a FAULT-LEFT run is scored and failed); null when nothing was scored. */
  passRate: number | null;
  rto: Distribution | null;
  rtoFull: Distribution | null;
  /** Scored runs without an RTO(service): never recovered before the deadline, or not measured. */
  unrecovered: number;
  maxRpo: {
    /** Largest RPO (count) over runs whose ledger was measured; null when none was. */
    count: number | null;
    countRunId: string | null;
    seconds: number | null;
    secondsRunId: string | null;
    measuredRuns: number;
  };
  /** The targets of the latest run (overrides can change them; see targetsVaried). */
  targets: Targets;
  targetsVaried: boolean;
  /** median RTO(service) ÷ target RTO; > 1 means the typical run misses the objective. */
  observedOverTarget: number | null;
  trend: {
    slopeMsPerDay: number | null;
    /** RTO(service) of each scored run in start order; null where none was measured. */
    series: (number | null)[];
    sparkline: string;
    points: TrendPoint[];
  };
  latest: RunFigures;
}

export interface VariantStats extends GroupStats {
  variant: string;
}

export interface DrillStats extends GroupStats {
  drill: string;
  variants: VariantStats[];
}

export type FindingKind =
  | 'fault-left'
  | 'evidence-missing'
  | 'evidence-mismatch'
  | 'breach'
  | 'non-prefix-loss'
  | 'inconclusive'
  | 'aborted'
  | 'rpo-not-promised'
  | 'data-anomaly'
  | 'recovery-point-mismatch'
  | 'target-changed'
  | 'evidence-gap'
  | 'coarse-resolution';

/** critical is FAULT-LEFT's alone: the system was left broken, which outranks any missed objective. */
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

export interface Finding {
  severity: Severity;
  kind: FindingKind;
  drill: string;
  variant?: string;
  runId?: string;
  /** Epoch ms of the run (or of the latest run, for drill-wide findings). */
  at: number;
  message: string;
}

export interface Totals {
  runs: number;
  drills: number;
  met: number;
  breached: number;
  inconclusive: number;
  aborted: number;
  faultLeft: number;
  passRate: number | null;
}

export interface Analysis {
  runs: RunFigures[];
  drills: DrillStats[];
  findings: Finding[];
  totals: Totals;
}

export const METHOD_NOTES: string[] = [
  'Pass rate = MET ÷ (MET + BREACHED + INCONCLUSIVE + FAULT-LEFT). A FAULT-LEFT run (the compensation gave up and left the fault in place) is scored and counts as a failure, whatever it measured. ABORTED runs scored nothing (steady state never held, or an operator stopped them); they are counted and listed as findings but left out of the rate.',
  'RTO figures are RTO(service) = T_service − T0 of every scored run that measured one; scored runs that never recovered before their deadline are counted as "unrecovered".',
  'Median is the middle value (mean of the two middle values for an even count); p95 is the nearest-rank 95th percentile, always an observed value — with fewer than 20 runs it equals the maximum.',
  'RPO (count) = lost + corrupted acknowledged writes; RPO (seconds) = T0 − oldest acknowledged write that did not survive.',
  'Observed ÷ target = median RTO(service) ÷ target RTO of the latest run.',
  'Drift = this run’s RTO(service) minus that of the previous run of the same drill and variant that measured one (also as % of it).',
  'Trend = least-squares slope of RTO(service) against start time, per day.',
];

export const startMs = (r: DrillResult) => Date.parse(r.startedAt);
export const chronological = (a: DrillResult, b: DrillResult) =>
  startMs(a) - startMs(b) || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0);

/** Every verdict but ABORTED is scored: FAULT-LEFT is, as a failure (it is never MET). */
export const isScored = (v: Verdict) => v !== 'ABORTED';
