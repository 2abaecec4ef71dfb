// The report as ONE self-contained HTML file: no network at all (a Content-Security-Policy forbids
// it), CSS and scripts inline. Charts use uPlot (MIT, ~50 KB minified), read from node_modules when
// the report is rendered and inlined: a maintained time-series chart library with canvas rendering
// that stays fast with tens of thousands of canary samples. The report's own stylesheet and chart
// script are files too (assets/report.css, assets/report.js), read and inlined the same way; assets.ts
// reads them all, so this file only composes text. The figures are computed server-side (stats.ts)
// and printed as text; the charts only draw them.
//
// Everything that comes from the results (drill names, reasons, notes, config values) is HTML-escaped;
// the chart data travels as JSON in a <script type="application/json"> block with <, > and & escaped,
// so no value can close the script element.
import { chartLibrary, reportAssets } from './assets.ts';
import type { ReportModel, ReportRun } from './model.ts';
import {
  evidenceNote,
  FAULT_REVERT_COMMAND,
  FAULTS_COMMAND,
  faultLeftMessage,
  formatDrift,
  formatMs,
  formatMsOrDash,
  formatRate,
  formatRatio,
  formatRpoTarget,
  formatSlope,
  plural,
  type DrillStats,
  type Finding,
  type GroupStats,
} from './stats.ts';

// ---------------------------------------------------------------------------------------------------
// Escaping

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON that is safe inside a <script> element: nothing in it can end the element or start a comment. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// ---------------------------------------------------------------------------------------------------
// Chart data

/** At most this many canary samples per timeline chart; beyond it, failures and state changes are all
 * kept and the successes in between are thinned evenly (the caption says so). */
export const MAX_CHART_SAMPLES = 20_000;

interface ChartRun {
  id: string;
  runId: string;
  verdict: string;
  origin: string;
  targetRtoMs: number;
  markers: { m: string; rel: number }[];
  unavailable: [number, number] | null;
  /** Sample start (ms since origin), latency (ms), ok (1/0). */
  t: number[];
  l: number[];
  ok: number[];
  shown: number;
  total: number;
}

interface ChartDrill {
  id: string;
  name: string;
  points: {
    at: number;
    rtoMs: number | null;
    targetRtoMs: number;
    verdict: string;
    variant: string;
    runId: string;
    run: string;
  }[];
  variants: string[];
}

export function thinSamples<T extends { ok: boolean }>(samples: readonly T[], max = MAX_CHART_SAMPLES): T[] {
  if (samples.length <= max) return [...samples];
  const keep = new Uint8Array(samples.length);
  let kept = 0;
  samples.forEach((s, i) => {
    const change =
      (i > 0 && samples[i - 1]!.ok !== s.ok) || (i + 1 < samples.length && samples[i + 1]!.ok !== s.ok);
    if (!s.ok || change || i === 0 || i === samples.length - 1) {
      keep[i] = 1;
      kept++;
    }
  });
  const rest = samples.length - kept;
  const budget = Math.max(0, max - kept);
  if (budget > 0 && rest > 0) {
    const every = rest / budget;
    let seen = 0;
    let next = 0;
    samples.forEach((_, i) => {
      if (keep[i]) return;
      if (seen >= next) {
        keep[i] = 1;
        next += every;
      }
      seen++;
    });
  }
  return samples.filter((_, i) => keep[i]);
}

function chartRun(run: ReportRun, index: number): ChartRun {
  const shown = thinSamples(run.samples);
  const rel = (name: string) => run.markers.find((m) => m.marker === name)?.relMs;
  const service = rel('T_service');
  const detect = rel('T_detect');
  const unavailableMs = run.result.rto.unavailableMs;
  return {
    id: `r${index}`,
    runId: run.result.runId,
    verdict: run.result.verdict,
    origin: run.originMarker,
    targetRtoMs: run.result.targets.rtoMs,
    markers: run.markers
      .filter((m) => ['T0', 'T_detect', 'T_service', 'T_full'].includes(m.marker))
      .map((m) => ({ m: m.marker, rel: m.relMs })),
    unavailable:
      service !== undefined && unavailableMs !== null && unavailableMs > 0
        ? [service - unavailableMs, service]
        : service === undefined && detect !== undefined // never recovered: unavailable to the end of the record
          ? [
              detect,
              run.samples.reduce(
                (m, x) => Math.max(m, x.end - run.originMs),
                Math.max(detect, ...run.markers.map((m) => m.relMs)),
              ),
            ]
          : null,
    t: shown.map((s) => s.at - run.originMs),
    l: shown.map((s) => Math.max(0, s.end - s.at)),
    ok: shown.map((s) => (s.ok ? 1 : 0)),
    shown: shown.length,
    total: run.samples.length,
  };
}

function chartDrill(d: DrillStats, index: number, runIndex: Map<string, number>): ChartDrill {
  return {
    id: `d${index}`,
    name: d.drill,
    variants: d.variants.map((v) => v.variant),
    points: d.trend.points.map((p) => ({ ...p, run: `r${runIndex.get(p.runId)}` })),
  };
}

// ---------------------------------------------------------------------------------------------------
// HTML pieces

const VERDICT_CLASS: Record<string, string> = {
  MET: 'met',
  BREACHED: 'breached',
  INCONCLUSIVE: 'inconclusive',
  ABORTED: 'aborted',
  'FAULT-LEFT': 'fault-left',
};

/** 2026-11-16T09:00:00.000Z → 2026-11-16 09:00:00Z */
const compactInstant = (isoText: string) => isoText.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

const verdictClass = (verdict: string) =>
  Object.hasOwn(VERDICT_CLASS, verdict) ? VERDICT_CLASS[verdict]! : 'aborted';

const pill = (verdict: string) => `<span class="pill ${verdictClass(verdict)}">${esc(verdict)}</span>`;

function rateClass(rate: number | null): string {
  if (rate === null) return 'na';
  return rate >= 1 ? 'good' : rate >= 0.8 ? 'warn' : 'bad';
}

function ratioClass(r: number | null): string {
  if (r === null) return 'na';
  return r <= 0.5 ? 'good' : r <= 1 ? 'warn' : 'bad';
}

const maxRpoText = (g: GroupStats) =>
  g.maxRpo.count === null
    ? '—'
    : `${g.maxRpo.count} lost${g.maxRpo.seconds !== null ? ` / ${g.maxRpo.seconds} s` : ''}`;

function rpoClass(g: GroupStats): string {
  if (g.maxRpo.count === null) return 'na';
  if (g.targets.rpoMs === null) return g.maxRpo.count > 0 ? 'warn' : 'good';
  if (g.targets.rpoMs === 0) return g.maxRpo.count > 0 ? 'bad' : 'good';
  return (g.maxRpo.seconds ?? 0) * 1000 > g.targets.rpoMs ? 'bad' : 'good';
}

function rtoCells(g: GroupStats): string {
  if (!g.rto) return '<td class="num na">—</td>'.repeat(4);
  const cls = (v: number) => (v > g.targets.rtoMs ? 'num bad' : 'num');
  return [g.rto.min, g.rto.median, g.rto.p95, g.rto.max]
    .map((v) => `<td class="${cls(v)}">${esc(formatMs(v))}</td>`)
    .join('');
}

const counts = (g: GroupStats) =>
  `<span class="c met" title="MET">${g.met}</span> / <span class="c breached" title="BREACHED">${g.breached}</span> / ` +
  `<span class="c inconclusive" title="INCONCLUSIVE">${g.inconclusive}</span> / <span class="c aborted" title="ABORTED">${g.aborted}</span> / ` +
  `<span class="c fault-left${g.faultLeft ? ' loud' : ''}" title="FAULT-LEFT">${g.faultLeft}</span>`;

const COUNTS_TITLE = 'MET / BREACHED / INCONCLUSIVE / ABORTED / FAULT-LEFT';

function summaryTable(model: ReportModel): string {
  const rows = model.drills.map((d, i) => {
    const status =
      d.faultLeft > 0
        ? 'fault-left'
        : d.breached > 0
          ? 'breached'
          : d.inconclusive > 0
            ? 'inconclusive'
            : d.met > 0
              ? 'met'
              : 'aborted';
    return `<tr class="status-${status}">
  <td><a href="#d${i}">${esc(d.drill)}</a><div class="sub">${d.variants.map((v) => esc(v.variant)).join(', ')}</div></td>
  <td class="num">${esc(formatMs(d.targets.rtoMs))}</td>
  <td class="num">${esc(formatRpoTarget(d.targets))}</td>
  <td class="num">${d.runs}</td>
  <td class="num counts">${counts(d)}</td>
  <td class="num ${rateClass(d.passRate)}">${esc(formatRate(d.passRate))}</td>
  ${rtoCells(d)}
  <td class="num ${ratioClass(d.observedOverTarget)}">${esc(formatRatio(d.observedOverTarget))}${d.unrecovered ? `<div class="sub bad">${d.unrecovered} unrecovered</div>` : ''}</td>
  <td class="num ${rpoClass(d)}">${esc(maxRpoText(d))}</td>
  <td class="num"><span class="spark" title="RTO(service) per run, oldest first">${esc(d.trend.sparkline)}</span><div class="sub">${esc(formatSlope(d.trend.slopeMsPerDay))}</div></td>
  <td>${pill(d.latest.verdict)}</td>
</tr>`;
  });
  return `<div class="scroll"><table class="summary">
<thead><tr><th rowspan="2">drill</th><th colspan="2" class="group">target</th><th rowspan="2" class="num">runs</th><th rowspan="2" class="num" title="${COUNTS_TITLE}">M / B / I / A / F</th><th rowspan="2" class="num">pass<br>rate</th>
<th colspan="4" class="group">RTO (service)</th><th rowspan="2" class="num">observed<br>÷ target</th><th rowspan="2" class="num">max RPO</th><th rowspan="2" class="num">trend</th><th rowspan="2">latest</th></tr>
<tr><th class="num">RTO</th><th class="num">RPO</th><th class="num">min</th><th class="num">median</th><th class="num">p95</th><th class="num">max</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

function findingsTable(findings: Finding[], runIndex: Map<string, number>): string {
  if (!findings.length) return '<p class="ok-note">No findings: every scored run met its objectives.</p>';
  const rows = findings.map(
    (f) => `<tr class="sev-${f.severity}">
  <td><span class="sev ${f.severity}">${esc(f.severity)}</span></td>
  <td>${esc(f.kind)}</td>
  <td>${esc(f.drill)}${f.variant ? ` <span class="sub">/ ${esc(f.variant)}</span>` : ''}</td>
  <td>${f.runId ? `<a class="mono" href="#r${runIndex.get(f.runId)}">${esc(f.runId)}</a>` : '<span class="sub">all runs</span>'}</td>
  <td>${esc(f.message)}</td>
</tr>`,
  );
  return `<table class="findings"><thead><tr><th>severity</th><th>kind</th><th>drill</th><th>run</th><th>finding</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table>`;
}

function variantsTable(d: DrillStats): string {
  if (d.variants.length < 2) return '';
  const rows = d.variants.map(
    (
      v,
    ) => `<tr><td>${esc(v.variant)}</td><td class="num">${v.runs}</td><td class="num counts">${counts(v)}</td>
<td class="num ${rateClass(v.passRate)}">${esc(formatRate(v.passRate))}</td>${rtoCells(v)}<td class="num ${rpoClass(v)}">${esc(maxRpoText(v))}</td>
<td class="num"><span class="spark">${esc(v.trend.sparkline)}</span> <span class="sub">${esc(formatSlope(v.trend.slopeMsPerDay))}</span></td></tr>`,
  );
  return `<h4>By variant</h4><table class="variants"><thead><tr><th>variant</th><th>runs</th><th title="${COUNTS_TITLE}">M / B / I / A / F</th><th>pass rate</th><th>RTO min</th><th>median</th><th>p95</th><th>max</th><th>max RPO</th><th>trend</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;
}

function runsTable(runs: ReportRun[], runIndex: Map<string, number>): string {
  const rows = runs.map(({ figures: f, result: r }) => {
    const rtoCls = f.rtoWithinTarget === false ? 'bad' : '';
    const rpoCls = f.rpoWithinTarget === false ? 'bad' : '';
    const driftCls =
      f.drift && f.drift.deltaPct !== null && Math.abs(f.drift.deltaPct) >= 25
        ? f.drift.deltaMs > 0
          ? 'bad'
          : 'good'
        : '';
    return `<tr>
  <td><a class="mono" href="#r${runIndex.get(f.runId)}">${esc(f.runId)}</a></td>
  <td class="mono nowrap">${esc(compactInstant(r.startedAt))}</td>
  <td>${esc(f.variant)}</td>
  <td>${pill(f.verdict)}</td>
  <td class="num ${rtoCls}">${esc(formatMsOrDash(f.rtoServiceMs))}</td>
  <td class="num">${esc(formatMsOrDash(f.rtoFullMs))}</td>
  <td class="num ${driftCls}">${esc(formatDrift(f.drift))}</td>
  <td class="num ${rpoCls}">${f.rpoCount === null ? '—' : f.rpoCount}${f.nonPrefix ? ' <span class="flag">non-prefix</span>' : ''}</td>
  <td class="num ${rpoCls}">${f.rpoSeconds === null ? '—' : `${esc(f.rpoSeconds)} s`}</td>
</tr>`;
  });
  return `<div class="scroll"><table class="runs"><thead><tr><th>run</th><th>started (UTC)</th><th>variant</th><th>verdict</th><th>RTO service</th><th>RTO full</th><th>drift vs previous</th><th>lost</th><th>RPO</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

function value(v: unknown): string {
  if (v === null || v === undefined) return '<span class="na">—</span>';
  if (typeof v === 'string') return esc(v);
  if (Array.isArray(v) && v.length > 20)
    return `${esc(JSON.stringify(v.slice(0, 20)).replace(/]$/, ', …]'))} <span class="sub">(${v.length} items)</span>`;
  return esc(JSON.stringify(v));
}

function kvTable(obj: Record<string, unknown>, empty = 'none recorded'): string {
  const entries = Object.entries(obj);
  if (!entries.length) return `<p class="na">${esc(empty)}</p>`;
  return `<table class="kv"><tbody>${entries.map(([k, v]) => `<tr><th>${esc(k)}</th><td class="mono">${value(v)}</td></tr>`).join('')}</tbody></table>`;
}

const CONTRACT_EVIDENCE = new Set(['ledgerSha256', 'config', 'versions', 'artifactsDir']);

function runDetails(run: ReportRun, index: number, runIndex: Map<string, number>, openAll = false): string {
  const { result: r, figures: f } = run;
  const rpo = r.rpo;
  const open = openAll || r.verdict !== 'MET' ? ' open' : '';
  const other = Object.fromEntries(Object.entries(r.evidence).filter(([k]) => !CONTRACT_EVIDENCE.has(k)));
  const markerRows = run.markers
    .map(
      (m) =>
        `<tr class="mk-${esc(m.marker)}"><td class="mono">${esc(m.marker)}</td><td class="mono">${esc(m.at)}</td><td class="num mono">${m.relMs >= 0 ? '+' : '−'}${esc(formatMs(Math.abs(m.relMs)))}</td><td>${esc(m.note ?? '')}</td></tr>`,
    )
    .join('\n');
  const ledger =
    rpo.measured === false
      ? '<p class="bad">The ledger was not measured (it could not be read back).</p>'
      : `<table class="kv"><tbody>
<tr><th>acknowledged</th><td class="num">${rpo.acked}</td></tr>
<tr><th>lost</th><td class="num ${rpo.lost ? 'bad' : ''}">${rpo.lost}</td></tr>
<tr><th>corrupted</th><td class="num ${rpo.corrupted ? 'bad' : ''}">${rpo.corrupted}</td></tr>
<tr><th>recovered (unknown → present)</th><td class="num">${rpo.recovered}</td></tr>
<tr><th>unknown</th><td class="num">${rpo.unknown}</td></tr>
<tr><th>failed (rejected)</th><td class="num">${rpo.failed ?? '—'}</td></tr>
<tr><th>unexpected</th><td class="num ${rpo.unexpected ? 'warn' : ''}">${rpo.unexpected}</td></tr>
<tr><th>duplicated</th><td class="num ${rpo.duplicated ? 'warn' : ''}">${rpo.duplicated}</td></tr>
<tr><th>RPO (seconds)</th><td class="num">${rpo.seconds === null ? '—' : esc(rpo.seconds)}</td></tr>
<tr><th>non-prefix loss</th><td class="${rpo.nonPrefix ? 'bad' : ''}">${rpo.nonPrefix ? 'yes' : 'no'}</td></tr>
<tr><th>recovery point</th><td class="mono">${rpo.recoveryPointAt ? esc(rpo.recoveryPointAt) : '—'}${rpo.recoveryPointSeconds != null ? ` (T0 − ${esc(rpo.recoveryPointSeconds)} s)` : ''}</td></tr>
</tbody></table>`;
  return `<details class="run v-${verdictClass(r.verdict)}" id="r${index}"${open}>
<summary>${pill(r.verdict)} <span class="mono">${esc(r.runId)}</span> <span class="sub">${esc(r.variant)} · ${esc(r.startedAt)} · RTO ${esc(formatMsOrDash(f.rtoServiceMs))} of ${esc(formatMs(r.targets.rtoMs))} · lost ${f.rpoCount ?? '—'}</span></summary>
<div class="run-body">
  ${r.verdict === 'FAULT-LEFT' ? `<p class="reason" role="alert">${esc(faultLeftMessage(r))}</p>` : r.reason ? `<p class="reason"><strong>${esc(r.verdict)}:</strong> ${esc(r.reason)}</p>` : ''}
  ${r.hypothesis ? `<p class="hypothesis"><strong>Hypothesis:</strong> ${esc(r.hypothesis)}</p>` : ''}
  <figure>
    <div class="chart timeline-chart" data-run="r${index}" role="img" aria-label="canary samples of run ${esc(r.runId)} relative to ${esc(run.originMarker)}"></div>
    <figcaption>Canary samples (latency, log scale) relative to ${esc(run.originMarker)}: green ok, red failed; vertical lines mark T0, T_detect, T_service and T_full, the shaded band is the unavailability window. <span class="target-note"></span> ${run.sampleSummary.total} samples (${run.sampleSummary.ok} ok, ${run.sampleSummary.failed} failed)${run.samples.length > MAX_CHART_SAMPLES ? `; ${MAX_CHART_SAMPLES} or fewer drawn (every failure and state change kept)` : ''}.</figcaption>
  </figure>
  <div class="cards">
    <section class="card"><h5>Targets</h5><table class="kv"><tbody>
      <tr><th>RTO</th><td>${esc(formatMs(r.targets.rtoMs))}</td></tr>
      <tr><th>RPO</th><td>${esc(formatRpoTarget(r.targets))}</td></tr>
      <tr><th>source</th><td>${esc(r.targets.source)}</td></tr></tbody></table></section>
    <section class="card"><h5>Recovery</h5><table class="kv"><tbody>
      <tr><th>RTO (service)</th><td class="num ${f.rtoWithinTarget === false ? 'bad' : ''}">${esc(formatMsOrDash(r.rto.serviceMs))}</td></tr>
      <tr><th>RTO (full)</th><td class="num">${esc(formatMsOrDash(r.rto.fullMs))}</td></tr>
      <tr><th>detected after</th><td class="num">${esc(formatMsOrDash(r.rto.detectMs))}</td></tr>
      <tr><th>unavailable for</th><td class="num">${esc(formatMsOrDash(r.rto.unavailableMs))}</td></tr>
      <tr><th>probe interval</th><td class="num">${esc(r.rto.probeIntervalMs)} ms</td></tr>
      <tr><th>achieved resolution</th><td class="num">${esc(formatMsOrDash(r.rto.resolutionMs ?? null))}</td></tr>
      <tr><th>latency bound</th><td class="num">${esc(formatMsOrDash(r.rto.latencyBoundMs ?? null))}</td></tr>
      <tr><th>outstanding at T_service</th><td class="num">${esc(r.rto.outstandingAtService ?? '—')}</td></tr>
      <tr><th>drift vs previous</th><td class="num">${esc(formatDrift(f.drift))}${f.drift ? `<div class="sub">previous run ${esc(formatMs(f.drift.previousMs))}: <a class="mono id" href="${runIndex.has(f.drift.previousRunId) ? `#r${runIndex.get(f.drift.previousRunId)}` : '#'}">${esc(f.drift.previousRunId)}</a></div>` : ''}</td></tr>
    </tbody></table></section>
    <section class="card"><h5>Ledger (RPO)</h5>${ledger}
      <p class="sha"><span class="sub">SHA-256</span> <span class="mono">${r.evidence.ledgerSha256 ? esc(r.evidence.ledgerSha256) : '—'}</span></p></section>
    <section class="card"><h5>Configuration snapshot</h5>${kvTable(r.evidence.config)}</section>
    <section class="card"><h5>Software versions</h5>${kvTable(r.evidence.versions)}</section>
    <section class="card"><h5>Run</h5><table class="kv"><tbody>
      <tr><th>platform</th><td>${esc(r.platform)}</td></tr>
      <tr><th>started</th><td class="mono">${esc(r.startedAt)}</td></tr>
      <tr><th>finished</th><td class="mono">${esc(r.finishedAt)}</td></tr>
      <tr><th>artifacts</th><td class="mono">${esc(r.evidence.artifactsDir)}<div class="sub ${run.evidence && run.evidence.status !== 'ok' ? 'bad' : ''}">${esc(evidenceNote(run.evidence, r.evidence.ledgerSha256))}</div></td></tr>
    </tbody></table>${Object.keys(other).length ? kvTable(other) : ''}</section>
  </div>
  <h5>Timeline (UTC)</h5>
  <table class="timeline"><thead><tr><th>marker</th><th>at</th><th>since ${esc(run.originMarker)}</th><th>note</th></tr></thead><tbody>
${markerRows}
  </tbody></table>
</div>
</details>`;
}

function drillSection(
  d: DrillStats,
  index: number,
  runs: ReportRun[],
  runIndex: Map<string, number>,
  openAll = false,
): string {
  return `<section class="drill" id="d${index}">
<h2>${esc(d.drill)} ${pill(d.latest.verdict)}</h2>
<p class="targets">Target RTO <strong>${esc(formatMs(d.targets.rtoMs))}</strong>, RPO <strong>${esc(formatRpoTarget(d.targets))}</strong> — <span class="sub">${esc(d.targets.source)}</span>${d.targetsVaried ? ' <span class="flag">targets changed in this period</span>' : ''}</p>
<p class="kpis">${plural(d.runs, 'run')} · pass rate <strong class="${rateClass(d.passRate)}">${esc(formatRate(d.passRate))}</strong> · median RTO ${esc(formatMsOrDash(d.rto?.median))} (p95 ${esc(formatMsOrDash(d.rto?.p95))}) · observed ÷ target ${esc(formatRatio(d.observedOverTarget))} · max RPO ${esc(maxRpoText(d))} · trend ${esc(formatSlope(d.trend.slopeMsPerDay))}</p>
<figure>
  <div class="chart trend-chart" data-drill="d${index}" role="img" aria-label="RTO per run of ${esc(d.drill)} against the target"></div>
  <figcaption>RTO (service) per run against the target RTO (dashed red). Dots: <span class="c met">● MET</span> <span class="c breached">● BREACHED</span> <span class="c inconclusive">● INCONCLUSIVE</span> <span class="c fault-left">● FAULT-LEFT</span>; <span class="c breached">▲</span> at the top: not recovered before the deadline; a large <span class="c fault-left">●</span> or a <span class="c fault-left">▲</span> labelled “fault left in place”: the run’s revert gave up.</figcaption>
</figure>
${variantsTable(d)}
<h4>Runs</h4>
${runsTable(runs, runIndex)}
<h4>Evidence per run</h4>
${runs.map((r) => runDetails(r, runIndex.get(r.result.runId)!, runIndex, openAll)).join('\n')}
</section>`;
}

/** Above everything else when any run left its fault in place: which runs, and what to run. */
function faultLeftBanner(model: ReportModel, runIndex: Map<string, number>): string {
  const left = model.runs.filter((r) => r.result.verdict === 'FAULT-LEFT');
  if (!left.length) return '';
  const links = left
    .map((r) => `<a class="mono" href="#r${runIndex.get(r.result.runId)}">${esc(r.result.runId)}</a>`)
    .join(', ');
  return `<div class="fault-left-banner" role="alert"><strong>${plural(left.length, 'run')} left ${left.length === 1 ? 'its fault' : 'their faults'} in place:</strong> ${links}. <code>${esc(FAULTS_COMMAND)}</code> lists what is still broken; <code>${esc(FAULT_REVERT_COMMAND)}</code> retries the revert.</div>
`;
}

function tiles(model: ReportModel): string {
  const t = model.totals;
  const high = model.findings.filter((f) => f.severity === 'high').length;
  const critical = model.findings.filter((f) => f.severity === 'critical').length;
  return `<div class="tiles">
  <div class="tile"><div class="k">runs</div><div class="v">${t.runs}</div><div class="sub">${plural(t.drills, 'drill')}</div></div>
  <div class="tile t-${rateClass(t.passRate)}"><div class="k">pass rate</div><div class="v">${esc(formatRate(t.passRate))}</div><div class="sub">MET ÷ scored runs</div></div>
  <div class="tile ${t.met ? 't-good' : ''}"><div class="k">MET</div><div class="v">${t.met}</div></div>
  <div class="tile ${t.breached ? 't-bad' : ''}"><div class="k">BREACHED</div><div class="v">${t.breached}</div></div>
  <div class="tile ${t.inconclusive ? 't-warn' : ''}"><div class="k">INCONCLUSIVE</div><div class="v">${t.inconclusive}</div></div>
  <div class="tile"><div class="k">ABORTED</div><div class="v">${t.aborted}</div><div class="sub">not scored</div></div>
  <div class="tile ${t.faultLeft ? 't-fault-left' : ''}"><div class="k">FAULT-LEFT</div><div class="v">${t.faultLeft}</div><div class="sub">fault still in place</div></div>
  <div class="tile ${critical ? 't-fault-left' : high ? 't-bad' : ''}"><div class="k">findings</div><div class="v">${model.findings.length}</div><div class="sub">${critical ? `${critical} critical, ` : ''}${high} high</div></div>
</div>`;
}

export function renderHtml(model: ReportModel): string {
  const lib = chartLibrary();
  const own = reportAssets();
  const runIndex = new Map(model.runs.map((r, i) => [r.result.runId, i]));
  const data = {
    runs: model.runs.map((r, i) => chartRun(r, i)),
    drills: model.drills.map((d, i) => chartDrill(d, i, runIndex)),
  };
  const period = `${model.period.since} → ${model.period.until}`;
  const body = model.empty
    ? `<div class="empty">No runs in this period${model.drill ? ` for drill <strong>${esc(model.drill)}</strong>` : ''}.</div>`
    : `${faultLeftBanner(model, runIndex)}${tiles(model)}
<h2>Summary per drill</h2>
${summaryTable(model)}
<h2>Findings</h2>
${findingsTable(model.findings, runIndex)}
<div class="toolbar"><button type="button" id="expand-all">expand all runs</button><button type="button" id="collapse-all">collapse all</button></div>
${model.drills
  .map((d, i) =>
    drillSection(
      d,
      i,
      model.runs.filter((r) => r.figures.drill === d.drill),
      runIndex,
      model.openRuns,
    ),
  )
  .join('\n')}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="firedrill">
<title>${esc(model.title)} — ${esc(period)}</title>
<style>${lib.css}</style>
<style>${own.css}</style>
</head>
<body>
<header class="top">
  <h1>${esc(model.title)}</h1>
  <div class="meta">Period <strong>${esc(period)}</strong> (UTC)${model.drill ? ` · drill <strong>${esc(model.drill)}</strong>` : ''} · generated <strong>${esc(model.generatedAt)}</strong>${model.source ? ` · source ${esc(model.source)}` : ''}</div>
</header>
<main>
<p class="intro">Actual recovery time (RTO) and data loss (RPO) of each drill run against its stated objectives, repeated over time, with findings — evidence for SOC 2 A1.3 (recovery plan testing), ISO 22301 clause 8.5 (exercise programme) and DORA Art. 11 (testing of ICT response and recovery plans). Every figure is measured as the firedrill measurement spec defines it; see <a href="#method">Method</a>.</p>
${body}
<section id="method">
<h2>Method</h2>
<ul>${model.method.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>
</section>
<footer>Generated by firedrill. Self-contained: this file loads nothing from the network. Charts drawn with uPlot ${esc(lib.version)} (MIT licence, © Leon Sorokin), inlined.</footer>
</main>
<script type="application/json" id="report-data">${scriptJson(data)}</script>
<script>${lib.js}</script>
<script>${own.js}</script>
</body>
</html>
`;
}
