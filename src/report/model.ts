// The report model every format renders (built by index.ts's buildReport). Its own module so that
// the renderers import the model's types from here and only index.ts imports the renderers.
import type { CanarySample, DrillResult } from '../measure/types.ts';
import type { DrillStats, EvidenceFinding, Finding, RunFigures, Totals } from './stats.ts';

export interface MarkerView {
  marker: string;
  at: string;
  atMs: number;
  /** Milliseconds since T0 (or since the run started when it has no T0). */
  relMs: number;
  note?: string;
}

export interface ReportRun {
  figures: RunFigures;
  /** The result record, with anything that looks like a credential redacted. */
  result: DrillResult;
  /** Instant the timeline is relative to: T0, or the start of the run when there is none. */
  originMs: number;
  originMarker: 'T0' | 'startedAt';
  markers: MarkerView[];
  samples: CanarySample[];
  sampleSummary: { total: number; ok: number; failed: number };
  /** The evidence folder's check, when the report was built with one (`firedrill report` is). */
  evidence?: EvidenceFinding;
}

export interface ReportModel {
  title: string;
  generatedAt: string;
  period: { since: string; until: string };
  drill?: string;
  /** Where the runs came from (database host, credentials removed). */
  source?: string;
  empty: boolean;
  totals: Totals;
  drills: DrillStats[];
  runs: ReportRun[];
  findings: Finding[];
  method: string[];
  /** Open every run's evidence in the HTML (BuildOptions.openRuns). */
  openRuns?: boolean;
}
