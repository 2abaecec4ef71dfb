// The report as Markdown: for a pull request, a wiki page or an audit folder. Everything from the
// results (drill names, reasons, notes, config values) is escaped so it renders as text, never as
// markup or HTML.
import type { ReportModel, ReportRun } from './model.ts';
import {
  evidenceNote,
  FAULT_REVERT_COMMAND,
  FAULTS_COMMAND,
  formatDrift,
  formatMs,
  formatMsOrDash,
  formatRate,
  formatRatio,
  formatRpoTarget,
  formatSlope,
  plural,
  type DrillStats,
  type GroupStats,
} from './stats.ts';

/** Escapes CommonMark punctuation and HTML so that text stays text; one line. */
export function mdText(value: unknown): string {
  return (
    String(value ?? '')
      .replace(/[\r\n]+/g, ' ')
      .replace(/[\\`*[\]<>|&#!{}~]/g, (c) => `\\${c}`)
      // An underscore inside a word (T_service, loop_wait) is never emphasis; escape the others.
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, '\\_')
  );
}

/** An inline code span, or escaped text when the value holds backticks or line breaks. */
export function mdCode(value: unknown): string {
  const s = String(value ?? '');
  return /[`\r\n|]/.test(s) || s === '' ? mdText(s) : `\`${s}\``;
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const BADGES: Record<string, string> = {
  MET: '✅ MET',
  BREACHED: '❌ BREACHED',
  INCONCLUSIVE: '⚠️ INCONCLUSIVE',
  ABORTED: '⏹ ABORTED',
  // Bold as well as the siren: the one verdict that says the system is still broken.
  'FAULT-LEFT': '🚨 **FAULT-LEFT**',
};
const verdictBadge = (v: string) => (Object.hasOwn(BADGES, v) ? BADGES[v]! : mdText(v));

const COUNTS_HEAD = 'MET / BREACHED / INCONCLUSIVE / ABORTED / FAULT-LEFT';
const counts = (g: GroupStats) =>
  `${g.met} / ${g.breached} / ${g.inconclusive} / ${g.aborted} / ${g.faultLeft ? `**${g.faultLeft}**` : 0}`;

/** The banner above everything else when any run left its fault in place. */
function faultLeftBanner(model: ReportModel): string[] {
  const left = model.runs.filter((r) => r.result.verdict === 'FAULT-LEFT');
  if (!left.length) return [];
  return [
    `> 🚨 **${plural(left.length, 'run')} left ${left.length === 1 ? 'its fault' : 'their faults'} in place: ${left.map((r) => mdCode(r.result.runId)).join(', ')}.** ` +
      `\`${FAULTS_COMMAND}\` lists what is still broken; \`${FAULT_REVERT_COMMAND}\` retries the revert.`,
    '',
  ];
}

function maxRpo(g: GroupStats): string {
  if (g.maxRpo.count === null) return '—';
  return `${g.maxRpo.count} lost${g.maxRpo.seconds !== null ? ` / ${g.maxRpo.seconds} s` : ''}`;
}

const rtoCells = (g: GroupStats) =>
  g.rto
    ? [formatMs(g.rto.min), formatMs(g.rto.median), formatMs(g.rto.p95), formatMs(g.rto.max)]
    : ['—', '—', '—', '—'];

const ratio = (g: GroupStats) => formatRatio(g.observedOverTarget);

function summary(model: ReportModel): string {
  const rows = model.drills.map((d) => [
    mdText(d.drill),
    formatMs(d.targets.rtoMs),
    formatRpoTarget(d.targets),
    String(d.runs),
    counts(d),
    formatRate(d.passRate),
    ...rtoCells(d),
    ratio(d) + (d.unrecovered ? ` (${d.unrecovered} unrecovered)` : ''),
    maxRpo(d),
    `${formatSlope(d.trend.slopeMsPerDay)} ${d.trend.sparkline}`,
    verdictBadge(d.latest.verdict),
  ]);
  return table(
    [
      'drill',
      'target RTO',
      'target RPO',
      'runs',
      COUNTS_HEAD,
      'pass rate',
      'RTO min',
      'RTO median',
      'RTO p95',
      'RTO max',
      'observed ÷ target',
      'max RPO',
      'trend',
      'latest',
    ],
    rows,
  );
}

function findings(model: ReportModel): string {
  if (!model.findings.length) return '_No findings: every scored run met its objectives._';
  return table(
    ['severity', 'drill', 'run', 'finding'],
    model.findings.map((f) => [
      f.severity === 'critical' ? '🚨 **critical**' : f.severity,
      mdText(f.drill + (f.variant ? ` / ${f.variant}` : '')),
      f.runId ? mdCode(f.runId) : '(all runs)',
      mdText(f.message),
    ]),
  );
}

function drillSection(d: DrillStats, runs: ReportRun[]): string {
  const out: string[] = [`## ${mdText(d.drill)}`, ''];
  out.push(
    `Target: RTO ${formatMs(d.targets.rtoMs)}, RPO ${formatRpoTarget(d.targets)} — source: ${mdText(d.targets.source)}` +
      (d.targetsVaried ? ' (targets changed during the period)' : ''),
    '',
  );
  if (d.variants.length > 1) {
    out.push(
      table(
        ['variant', 'runs', COUNTS_HEAD, 'pass rate', 'RTO min', 'median', 'p95', 'max', 'max RPO', 'trend'],
        d.variants.map((v) => [
          mdText(v.variant),
          String(v.runs),
          counts(v),
          formatRate(v.passRate),
          ...rtoCells(v),
          maxRpo(v),
          `${formatSlope(v.trend.slopeMsPerDay)} ${v.trend.sparkline}`,
        ]),
      ),
      '',
    );
  }
  out.push(
    table(
      [
        'run',
        'started (UTC)',
        'variant',
        'verdict',
        'RTO service',
        'RTO full',
        'drift vs previous',
        'lost',
        'RPO',
        'reason',
      ],
      runs.map(({ figures: f, result: r }) => [
        mdCode(f.runId),
        mdText(r.startedAt),
        mdText(f.variant),
        verdictBadge(f.verdict),
        formatMsOrDash(f.rtoServiceMs),
        formatMsOrDash(f.rtoFullMs),
        formatDrift(f.drift),
        f.rpoCount === null ? '—' : String(f.rpoCount) + (f.nonPrefix ? ' (non-prefix)' : ''),
        f.rpoSeconds === null ? '—' : `${f.rpoSeconds} s`,
        mdText(f.reason ?? ''),
      ]),
    ),
    '',
  );
  for (const run of runs) out.push(runEvidence(run), '');
  return out.join('\n');
}

const kv = (obj: Record<string, unknown>) => {
  const entries = Object.entries(obj);
  if (!entries.length) return '—';
  return entries
    .map(([k, v]) => `${mdCode(k)} = ${mdCode(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join(', ');
};

function runEvidence(run: ReportRun): string {
  const { result: r, figures: f } = run;
  const rpo = r.rpo;
  const out = [
    `### ${mdText(r.runId)} — ${verdictBadge(r.verdict)}`,
    '',
    `- **drill / variant**: ${mdText(r.drill)} / ${mdText(r.variant)} on ${mdText(r.platform)}, ${mdText(r.startedAt)} → ${mdText(r.finishedAt)}`,
  ];
  if (r.hypothesis) out.push(`- **hypothesis**: ${mdText(r.hypothesis)}`);
  out.push(
    `- **targets**: RTO ${formatMs(r.targets.rtoMs)}, RPO ${formatRpoTarget(r.targets)} — ${mdText(r.targets.source)}`,
    `- **verdict**: ${r.verdict === 'FAULT-LEFT' ? verdictBadge(r.verdict) : r.verdict}${r.reason ? ` — ${mdText(r.reason)}` : ''}`,
    ...(r.verdict === 'FAULT-LEFT'
      ? [
          `- **still in place**: \`${FAULTS_COMMAND}\` lists it; \`${FAULT_REVERT_COMMAND}\` retries the revert`,
        ]
      : []),
    `- **RTO**: service ${formatMsOrDash(r.rto.serviceMs)}, full ${formatMsOrDash(r.rto.fullMs)}, detect ${formatMsOrDash(r.rto.detectMs)}, unavailable ${formatMsOrDash(r.rto.unavailableMs)} (probe every ${r.rto.probeIntervalMs} ms, achieved resolution ${formatMsOrDash(r.rto.resolutionMs ?? null)}, latency bound ${formatMsOrDash(r.rto.latencyBoundMs ?? null)}, ${r.rto.outstandingAtService ?? '—'} outstanding at T_service); drift vs previous: ${formatDrift(f.drift)}${f.drift ? ` (previous ${mdCode(f.drift.previousRunId)}: ${formatMs(f.drift.previousMs)})` : ''}`,
    rpo.measured === false
      ? '- **ledger**: not measured (could not be read back)'
      : `- **ledger**: ${rpo.acked} acknowledged, ${rpo.lost} lost, ${rpo.corrupted} corrupted, ${rpo.recovered} recovered, ${rpo.unknown} unknown, ${rpo.failed ?? '—'} failed, ${rpo.unexpected} unexpected, ${rpo.duplicated} duplicated; RPO ${rpo.seconds ?? '—'} s${rpo.nonPrefix ? ', **non-prefix loss**' : ''}${rpo.recoveryPointAt ? `; recovery point ${mdText(rpo.recoveryPointAt)}` : ''}`,
    `- **ledger SHA-256**: ${r.evidence.ledgerSha256 ? mdCode(r.evidence.ledgerSha256) : '—'}`,
    `- **configuration**: ${kv(r.evidence.config)}`,
    `- **versions**: ${kv(r.evidence.versions)}`,
    `- **canary samples**: ${run.sampleSummary.total} (${run.sampleSummary.ok} ok, ${run.sampleSummary.failed} failed); every raw sample is in the JSON report`,
    `- **artifacts**: ${mdCode(r.evidence.artifactsDir)} — ${run.evidence && run.evidence.status !== 'ok' ? `**${mdText(evidenceNote(run.evidence, r.evidence.ledgerSha256))}**` : mdText(evidenceNote(run.evidence, r.evidence.ledgerSha256))}`,
    '',
    table(
      ['marker', 'at (UTC)', `ms since ${run.originMarker}`, 'note'],
      run.markers.map((m) => [mdText(m.marker), mdText(m.at), String(m.relMs), mdText(m.note ?? '')]),
    ),
  );
  return out.join('\n');
}

export function renderMarkdown(model: ReportModel): string {
  const t = model.totals;
  const out: string[] = [
    `# ${mdText(model.title)}`,
    '',
    `Period: ${model.period.since} → ${model.period.until} (UTC)${model.drill ? ` · drill: ${mdText(model.drill)}` : ''} · generated ${model.generatedAt}${model.source ? ` · source: ${mdText(model.source)}` : ''}`,
    '',
    'Actual recovery time and data loss against the stated objectives, repeated over time, with findings ' +
      '(evidence for SOC 2 A1.3 recovery-plan testing, ISO 22301 clause 8.5 exercise programme, DORA Art. 11 testing of ICT response and recovery plans).',
    '',
  ];
  if (model.empty) {
    out.push('**No runs in this period.**', '');
  } else {
    out.push(
      ...faultLeftBanner(model),
      `**${plural(t.runs, 'run')} of ${plural(t.drills, 'drill')}: ${t.met} MET, ${t.breached} BREACHED, ${t.inconclusive} INCONCLUSIVE, ${t.aborted} ABORTED, ${t.faultLeft} FAULT-LEFT — pass rate ${formatRate(t.passRate)}; ${plural(model.findings.length, 'finding')}.**`,
      '',
      '## Summary per drill',
      '',
      summary(model),
      '',
      '## Findings',
      '',
      findings(model),
      '',
    );
    for (const d of model.drills) {
      out.push(
        drillSection(
          d,
          model.runs.filter((r) => r.figures.drill === d.drill),
        ),
      );
    }
  }
  out.push('## Method', '', ...model.method.map((m) => `- ${m}`), '');
  return out.join('\n');
}
