// The report as JSON, for scripts and dashboards: the whole model (per-drill statistics, findings, and
// every run with its result record and raw canary samples), under a format name and version.
import type { ReportModel } from './model.ts';

export const JSON_FORMAT = 'firedrill-compliance-report';
export const JSON_VERSION = 1;

export function renderJson(model: ReportModel): string {
  return JSON.stringify({ format: JSON_FORMAT, version: JSON_VERSION, ...model }, null, 2) + '\n';
}
