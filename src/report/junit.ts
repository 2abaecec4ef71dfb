// The report as JUnit XML, for CI dashboards: one <testsuite> per drill, one <testcase> per run
// (classname = drill, name = "variant runId"). BREACHED → <failure>, INCONCLUSIVE → <error>,
// ABORTED → <skipped>, FAULT-LEFT → <error type="FAULT-LEFT">. RTO/RPO figures ride in <properties> (per suite: the period's statistics; per
// case: the run's figures), the convention Jenkins, GitLab and pytest's record_property share.
import type { ReportModel, ReportRun } from './model.ts';
import { faultLeftMessage, formatDrift, formatMs, formatMsOrDash, type DrillStats } from './stats.ts';

// Characters XML 1.0 does not allow at all (control characters, lone surrogates, U+FFFE/U+FFFF).
const INVALID_XML =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes text for an element body. */
export function xmlText(value: unknown): string {
  return String(value ?? '')
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Escapes text for a double-quoted attribute; line breaks and tabs survive as character references. */
export function xmlAttr(value: unknown): string {
  return xmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

const attrs = (a: Record<string, string | number | undefined | null>) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}="${xmlAttr(v)}"`)
    .join('');

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

function properties(
  indent: string,
  props: Record<string, string | number | boolean | null | undefined>,
): string {
  const lines = Object.entries(props)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${indent}  <property${attrs({ name: k, value: v === null ? '' : String(v) })}/>`);
  return `${indent}<properties>\n${lines.join('\n')}\n${indent}</properties>`;
}

function suiteProperties(d: DrillStats): Record<string, string | number | boolean | null> {
  return {
    'target.rtoMs': d.targets.rtoMs,
    'target.rpoMs': d.targets.rpoMs === null ? 'not promised' : d.targets.rpoMs,
    'target.source': d.targets.source,
    runs: d.runs,
    faultLeft: d.faultLeft,
    passRate: d.passRate === null ? null : +d.passRate.toFixed(4),
    'rto.service.min.ms': d.rto?.min ?? null,
    'rto.service.median.ms': d.rto?.median ?? null,
    'rto.service.p95.ms': d.rto?.p95 ?? null,
    'rto.service.max.ms': d.rto?.max ?? null,
    'rto.unrecovered': d.unrecovered,
    'rto.observedOverTarget': d.observedOverTarget === null ? null : +d.observedOverTarget.toFixed(4),
    'rpo.max.count': d.maxRpo.count,
    'rpo.max.seconds': d.maxRpo.seconds,
    'trend.rto.slopeMsPerDay': d.trend.slopeMsPerDay === null ? null : Math.round(d.trend.slopeMsPerDay),
  };
}

function caseProperties(run: ReportRun): Record<string, string | number | boolean | null | undefined> {
  const { result: r, figures: f } = run;
  return {
    runId: r.runId,
    verdict: r.verdict,
    startedAt: r.startedAt,
    'target.rtoMs': r.targets.rtoMs,
    'target.rpoMs': r.targets.rpoMs === null ? 'not promised' : r.targets.rpoMs,
    'rto.service.ms': r.rto.serviceMs,
    'rto.full.ms': r.rto.fullMs,
    'rto.detect.ms': r.rto.detectMs,
    'rto.unavailable.ms': r.rto.unavailableMs,
    'rto.drift.ms': f.drift?.deltaMs ?? null,
    'rto.drift.pct': f.drift?.deltaPct === null || !f.drift ? null : +f.drift.deltaPct.toFixed(2),
    'rpo.measured': r.rpo.measured !== false,
    'rpo.acked': r.rpo.acked,
    'rpo.lost': r.rpo.lost,
    'rpo.corrupted': r.rpo.corrupted,
    'rpo.seconds': r.rpo.seconds,
    'rpo.nonPrefix': r.rpo.nonPrefix,
    'ledger.sha256': r.evidence.ledgerSha256,
    'evidence.status': run.evidence?.status ?? 'not checked',
  };
}

function details(run: ReportRun): string {
  const { result: r, figures: f } = run;
  return [
    `${r.drill}/${r.variant} run ${r.runId}: ${r.verdict}${r.reason ? ` — ${r.reason}` : ''}`,
    `targets: RTO ${formatMs(r.targets.rtoMs)}, RPO ${r.targets.rpoMs === null ? 'not promised' : formatMs(r.targets.rpoMs)} (${r.targets.source})`,
    `RTO service ${formatMsOrDash(r.rto.serviceMs)}, full ${formatMsOrDash(r.rto.fullMs)}; drift ${formatDrift(f.drift)}`,
    `RPO ${r.rpo.lost + r.rpo.corrupted} lost/corrupted, ${r.rpo.seconds ?? '—'} s${r.rpo.nonPrefix ? ', non-prefix loss' : ''}`,
  ].join('\n');
}

function testcase(run: ReportRun): string {
  const { result: r } = run;
  const duration = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
  const out = [
    `    <testcase${attrs({ classname: r.drill, name: `${r.variant} ${r.runId}`, time: Number.isFinite(duration) ? seconds(duration) : undefined, timestamp: r.startedAt })}>`,
    properties('      ', caseProperties(run)),
  ];
  const message = r.reason ?? r.verdict;
  if (r.verdict === 'BREACHED')
    out.push(`      <failure${attrs({ message, type: 'BREACHED' })}>${xmlText(details(run))}</failure>`);
  if (r.verdict === 'INCONCLUSIVE')
    out.push(`      <error${attrs({ message, type: 'INCONCLUSIVE' })}>${xmlText(details(run))}</error>`);
  if (r.verdict === 'ABORTED') out.push(`      <skipped${attrs({ message })}/>`);
  // An error, not a failure: a failure says the system missed its objective, which is a measurement;
  // FAULT-LEFT says the drill itself could not finish its job (the revert gave up) and left the
  // system broken, which is what JUnit's <error> (the test could not complete properly) means. Every
  // CI tool shows both red, and the type names the verdict either way.
  if (r.verdict === 'FAULT-LEFT')
    out.push(
      `      <error${attrs({ message: faultLeftMessage(r), type: 'FAULT-LEFT' })}>${xmlText(details(run))}</error>`,
    );
  out.push(
    `      <system-out>${xmlText(run.markers.map((m) => `${m.at} ${m.marker} (${m.relMs >= 0 ? '+' : ''}${m.relMs} ms)${m.note ? ` ${m.note}` : ''}`).join('\n'))}</system-out>`,
    '    </testcase>',
  );
  return out.join('\n');
}

export function renderJunit(model: ReportModel): string {
  const t = model.totals;
  const totalMs = model.runs.reduce(
    (s, r) => s + Math.max(0, Date.parse(r.result.finishedAt) - Date.parse(r.result.startedAt) || 0),
    0,
  );
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: model.title, tests: t.runs, failures: t.breached, errors: t.inconclusive + t.faultLeft, skipped: t.aborted, time: seconds(totalMs), timestamp: model.generatedAt })}>`,
  ];
  if (model.empty) {
    out.push(
      `  <testsuite${attrs({ name: model.drill ?? 'firedrill', tests: 0, failures: 0, errors: 0, skipped: 0, time: '0.000', timestamp: model.generatedAt })}>`,
      properties('    ', {
        'period.since': model.period.since,
        'period.until': model.period.until,
        note: 'no runs in this period',
      }),
      '  </testsuite>',
    );
  }
  for (const d of model.drills) {
    const runs = model.runs.filter((r) => r.figures.drill === d.drill);
    const ms = runs.reduce(
      (s, r) => s + Math.max(0, Date.parse(r.result.finishedAt) - Date.parse(r.result.startedAt) || 0),
      0,
    );
    out.push(
      `  <testsuite${attrs({ name: d.drill, tests: d.runs, failures: d.breached, errors: d.inconclusive + d.faultLeft, skipped: d.aborted, time: seconds(ms), timestamp: runs[0]?.result.startedAt })}>`,
      properties('    ', {
        'period.since': model.period.since,
        'period.until': model.period.until,
        ...suiteProperties(d),
      }),
      ...runs.map(testcase),
      '  </testsuite>',
    );
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
