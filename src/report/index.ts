// The compliance report: what the results database says about drill runs over a period, as one model
// that each format renders. Building the model is pure; render('html') reads the charting library
// from node_modules to inline it.
// The model's types live in model.ts, which the renderers import: only this file imports renderers.
import type { CanarySample, DrillResult } from '../measure/types.ts';
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { ReportModel, ReportRun } from './model.ts';
import { analyse, METHOD_NOTES, type EvidenceFinding } from './stats.ts';
import { scrubSecrets, scrubText as scrubSecretText } from '../util/secrets.ts';

export type { MarkerView, ReportModel, ReportRun } from './model.ts';

export const FORMATS = ['html', 'md', 'json', 'junit'] as const;
export type ReportFormat = (typeof FORMATS)[number];

export interface BuildOptions {
  since: Date | string | number;
  until: Date | string | number;
  drill?: string;
  /** When the report was made; defaults to now. */
  generatedAt?: Date;
  source?: string;
  /** Evidence checks by run id (src/results/evidence-check.ts); a run not in it is shown unchecked. */
  evidence?: ReadonlyMap<string, EvidenceFinding>;
  /**
   * Every run's evidence (its timeline chart included) open, not only the runs that were not MET:
   * a game day's report is read run by run.
   */
  openRuns?: boolean;
}

/** Every secret shape of src/util/secrets.ts removed from a text (URL passwords, DSNs, tokens…). */
export function scrubText(text: string): string {
  return scrubSecretText(text);
}

/**
 * A deep copy with every text secret shape removed and, unless `keys` is false, the values of
 * secret-named keys (password, secretKey, token…) redacted — the one list of src/util/secrets.ts.
 */
export function redact<T>(value: T, keys = true): T {
  if (keys) return scrubSecrets(value);
  if (typeof value === 'string') return scrubText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v, keys)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redact(v, keys);
    return out as T;
  }
  return value;
}

const toMs = (v: Date | string | number, what: string): number => {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) throw new RangeError(`${what}: ${String(v)} is not an instant`);
  return ms;
};

/**
 * The report model over runs started in [since, until] (optionally of one drill). `results` may hold
 * runs from before the period: they are used only as the previous run when computing drift. `samples`
 * holds the raw canary samples by run id (runs without an entry are reported as an evidence gap).
 */
export function buildReport(
  results: readonly DrillResult[],
  samples: ReadonlyMap<string, CanarySample[]>,
  opts: BuildOptions,
): ReportModel {
  const sinceMs = toMs(opts.since, 'since');
  const untilMs = toMs(opts.until, 'until');
  if (sinceMs > untilMs) throw new RangeError('since is after until');
  const sampleCounts = new Map([...samples.entries()].map(([id, s]) => [id, s.length]));
  const analysis = analyse(
    results,
    { sinceMs, untilMs, drill: opts.drill },
    { sampleCounts, evidence: opts.evidence },
  );
  const byId = new Map(results.map((r) => [r.runId, r]));

  const runs: ReportRun[] = analysis.runs.map((figures) => {
    const result = redact(byId.get(figures.runId)!);
    const t0 = result.timeline.find((m) => m.marker === 'T0');
    const originMs = t0 ? Date.parse(t0.at) : Date.parse(result.startedAt);
    const list = [...(samples.get(figures.runId) ?? [])].sort((a, b) => a.at - b.at);
    const ok = list.filter((s) => s.ok).length;
    return {
      figures: redact(figures, false),
      result,
      originMs,
      originMarker: t0 ? 'T0' : 'startedAt',
      markers: result.timeline.map((m) => ({
        marker: m.marker,
        at: m.at,
        atMs: Date.parse(m.at),
        relMs: Date.parse(m.at) - originMs,
        ...(m.note !== undefined ? { note: m.note } : {}),
      })),
      samples: list.map((s) => (s.error === undefined ? s : { ...s, error: scrubText(s.error) })),
      sampleSummary: { total: list.length, ok, failed: list.length - ok },
      ...(opts.evidence?.has(figures.runId) ? { evidence: opts.evidence.get(figures.runId)! } : {}),
    };
  });

  return {
    title: 'firedrill compliance report',
    generatedAt: (opts.generatedAt ?? new Date()).toISOString(),
    period: { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString() },
    ...(opts.drill !== undefined ? { drill: opts.drill } : {}),
    ...(opts.source !== undefined ? { source: scrubText(opts.source) } : {}),
    empty: runs.length === 0,
    totals: analysis.totals,
    drills: redact(analysis.drills, false),
    runs,
    findings: redact(analysis.findings, false),
    method: METHOD_NOTES,
    ...(opts.openRuns ? { openRuns: true } : {}),
  };
}

export function render(model: ReportModel, format: ReportFormat): string {
  switch (format) {
    case 'html':
      return renderHtml(model);
    case 'md':
      return renderMarkdown(model);
    case 'json':
      return renderJson(model);
    case 'junit':
      return renderJunit(model);
  }
}
