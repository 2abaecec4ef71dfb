// `firedrill report`: the compliance report from the results database — RTO and RPO against their
// objectives per drill over a period, with findings — as HTML, Markdown, JSON or JUnit XML.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { Option, type Command } from 'commander';
import type { DrillResult } from '../measure/types.ts';
import { checkEvidence, evidenceFolders, type EvidenceCheck } from '../results/evidence-check.ts';
import { buildReport, FORMATS, render, type ReportFormat, type ReportModel } from '../report/index.ts';
import { plural } from '../report/stats.ts';
import { resultsDatabaseUrl } from '../results/locate.ts';
import { ResultStore } from '../results/store.ts';
import { DurationError, parseDuration } from '../topology/duration.ts';
import { UserError } from '../util/errors.ts';
import { scrubUrl } from '../util/log.ts';
import { reportsDir } from '../util/runs.ts';
import { insideRoot, sandboxNameArg } from '../util/names.ts';

/** "30d", "12h", "1h30m" → that long before `now`; "2026-11-01" or a full ISO instant → that instant. */
export function parseInstant(text: string, now: Date, what: string): Date {
  const t = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return new Date(ms);
  } else {
    try {
      // Bounded (10 years at most): "999999999d" once became an invalid Date and a RangeError
      // after the database was already connected.
      return new Date(now.getTime() - parseDuration(t, what));
    } catch (err) {
      if (!(err instanceof DurationError)) throw err;
      if (/^\d+(\.\d+)?[a-z]+$/.test(t))
        throw new UserError(err.message, 'write e.g. 30d, 12h or 2026-11-01');
    }
  }
  throw new UserError(
    `${what} "${text}" is neither a duration nor a date`,
    'write e.g. 30d, 12h or 2026-11-01 (ISO-8601, UTC)',
  );
}

export interface ReportRequest {
  since?: string;
  until?: string;
  drill?: string;
  format: ReportFormat;
  now?: Date;
  /** Where run folders are looked for beside each record's artifactsDir (default: the reports folder). */
  evidenceRoots?: string[];
}

/** Reads the runs the report needs from the store and builds the model. */
export async function reportFromStore(
  store: ResultStore,
  req: ReportRequest,
  source?: string,
): Promise<ReportModel> {
  const now = req.now ?? new Date();
  const since = parseInstant(req.since ?? '30d', now, '--since');
  const until = req.until ? parseInstant(req.until, now, '--until') : now;
  if (since > until)
    throw new UserError(
      `--since ${since.toISOString()} is after --until ${until.toISOString()}`,
      'swap them',
    );
  // Every run of the drill(s), not only the period's: the run before the period is the "previous run"
  // that the first run's drift is measured against.
  const results: DrillResult[] = await store.runs(req.drill ? { drill: req.drill } : {});
  const inPeriod = results.filter((r) => {
    const t = Date.parse(r.startedAt);
    return t >= since.getTime() && t <= until.getTime();
  });
  const samples = await store.canarySamplesOf(inPeriod.map((r) => r.runId));
  const folders = evidenceFolders(req.evidenceRoots ?? [reportsDir()]);
  const evidence = new Map<string, EvidenceCheck>(inPeriod.map((r) => [r.runId, checkEvidence(r, folders)]));
  return buildReport(results, samples, {
    since,
    until,
    drill: req.drill,
    generatedAt: now,
    source,
    evidence,
  });
}

export const defaultHtmlPath = (now: Date) =>
  insideRoot(reportsDir(), `compliance-${now.toISOString().slice(0, 10)}.html`);

export function reportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'compliance report from the results database: RTO/RPO against objectives per drill, over a period, with findings',
    )
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).makeOptionMandatory())
    .option(
      '--since <when>',
      'start of the period: a duration back from now (30d, 12h) or an ISO date',
      '30d',
    )
    .option('--until <when>', 'end of the period (default: now)')
    .option('--drill <name>', 'only this drill')
    .option('--out <file>', 'write here (default: stdout; html: reports/compliance-<date>.html)')
    .option(
      '--sandbox <name>',
      'local sandbox whose results database to read (unless FIREDRILL_DATABASE_URL is set)',
      sandboxNameArg('--sandbox'),
      'default',
    )
    .action(
      async (opts: {
        format: ReportFormat;
        since: string;
        until?: string;
        drill?: string;
        out?: string;
        sandbox: string;
      }) => {
        const now = new Date();
        // Refuse a bad period before touching the database.
        parseInstant(opts.since, now, '--since');
        if (opts.until) parseInstant(opts.until, now, '--until');
        const url = resultsDatabaseUrl(opts.sandbox);
        const store = await ResultStore.connect(url);
        let model: ReportModel;
        try {
          model = await reportFromStore(
            store,
            { ...opts, now },
            scrubUrl(url).replace(/^postgres(ql)?:\/\/[^@]*@/, 'postgresql://'),
          );
        } finally {
          await store.close();
        }
        const text = render(model, opts.format);
        const out = opts.out ?? (opts.format === 'html' ? defaultHtmlPath(now) : undefined);
        if (!out || out === '-') {
          process.stdout.write(text);
          return;
        }
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, text);
        const shown = relative(process.cwd(), out);
        console.log(
          `report: ${shown.startsWith('..') ? out : shown} (${plural(model.totals.runs, 'run')} of ${plural(model.totals.drills, 'drill')}, ${plural(model.findings.length, 'finding')})`,
        );
      },
    );
}
