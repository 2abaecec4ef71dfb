import { describe, expect, it } from 'vitest';
import { buildReport, render } from '../../src/report/index.ts';
import { mdCode, mdText } from '../../src/report/markdown.ts';
import {
  DAY,
  EPOCH,
  FAULT_LEFT_REASON,
  faultLeftRun,
  makeRun,
  monthOfRuns,
  monthWithFaultLeft,
  samplesFor,
} from './report-fixtures.ts';

const since = EPOCH - DAY;
const until = EPOCH + 31 * DAY;

describe('Markdown report', () => {
  const runs = monthOfRuns();
  const md = render(
    buildReport(runs, samplesFor(runs), { since, until, generatedAt: new Date(until) }),
    'md',
  );
  const lines = md.split('\n');

  it('states the period, the totals and the summary per drill', () => {
    expect(lines[0]).toBe('# firedrill compliance report');
    expect(md).toContain('Period: 2026-10-31T08:00:00.000Z → 2026-12-02T08:00:00.000Z (UTC)');
    expect(md).toContain(
      '**14 runs of 3 drills: 10 MET, 2 BREACHED, 1 INCONCLUSIVE, 1 ABORTED, 0 FAULT-LEFT — pass rate 76.9%; 6 findings.**',
    );
    const row = lines.find((l) => l.startsWith('| kafka-broker-kill |'))!;
    expect(row.split(' | ').map((c) => c.trim())).toEqual([
      '| kafka-broker-kill',
      '5 min',
      '0 (no loss)',
      '7',
      '6 / 1 / 0 / 0 / 0',
      '85.7%',
      '3.7 s',
      '4.2 s',
      '7.8 s',
      '7.8 s',
      '0.014×',
      '3 lost / 0.4 s',
      '−7.8 ms/day ▅▅▆▅█▅▄',
      '✅ MET |',
    ]);
    const tsdb = lines.find((l) => l.startsWith('| timescaledb-failover |'))!;
    expect(tsdb).toContain('| not promised |');
    expect(tsdb).toContain('| 60% |');
    expect(md).not.toContain('🚨'); // no run left a fault: no banner
  });

  it('lists findings, runs with drift, and the evidence of each run', () => {
    expect(md).toContain('## Findings');
    expect(md).toMatch(
      /\| high \| kafka-broker-kill \/ leader \| `kafka-broker-kill-leader-20261115T080000-\w+` \| BREACHED: 3 acknowledged writes lost/,
    );
    expect(md).toContain('| +3.2 s (+69.6%) |'); // 4600 → 7800
    expect(md).toContain('### kafka-broker-kill-leader-20261115T080000');
    expect(md).toContain('- **ledger SHA-256**: `' + 'ab12'.repeat(16) + '`');
    expect(md).toContain('`synchronous_mode` = `false`');
    expect(md).toMatch(
      /\| T_service \| 2026-11-01T08:00:05\.200Z \| 4200 \| first of 5 consecutive successful canaries \|/,
    );
    expect(md).toContain('## Method');
  });

  it('escapes markup: nothing from a result can become HTML, a link or a new table cell', () => {
    const r = makeRun({
      verdict: 'BREACHED',
      reason: 'x <script>alert(1)</script> | *bold* [link](http://e) `tick`',
      drill: 'd|rill',
    });
    const out = render(buildReport([r], samplesFor([r]), { since, until }), 'md');
    expect(out).not.toContain('<script>');
    expect(out).toContain(
      'x \\<script\\>alert(1)\\</script\\> \\| \\*bold\\* \\[link\\](http://e) \\`tick\\`',
    );
    expect(out).toContain('| d\\|rill |');
    expect(mdText('a\nb')).toBe('a b');
    expect(mdCode('plain')).toBe('`plain`');
    expect(mdCode('has | pipe')).toBe('has \\| pipe');
  });

  it('an empty period says so instead of failing', () => {
    const out = render(buildReport([], new Map(), { since, until }), 'md');
    expect(out).toContain('**No runs in this period.**');
    expect(out).not.toContain('## Summary per drill');
  });
});

describe('the measured resolution beside the RTO', () => {
  const run = (resolutionMs: number) => {
    const r = makeRun({ drill: 'kafka-broker-kill' });
    r.rto = { ...r.rto, resolutionMs, latencyBoundMs: 120, outstandingAtService: 3 };
    return r;
  };
  const report = (runs: ReturnType<typeof makeRun>[]) =>
    buildReport(runs, samplesFor(runs), { since, until, generatedAt: new Date(until) });

  it('shows the achieved resolution, the latency bound and the outstanding canaries in both formats', () => {
    const model = report([run(55)]);
    const md = render(model, 'md');
    expect(md).toContain('achieved resolution 55 ms, latency bound 120 ms, 3 outstanding at T_service');
    const html = render(model, 'html');
    expect(html).toMatch(/achieved resolution<\/th><td class="num">55 ms/);
    expect(html).toMatch(/latency bound<\/th><td class="num">120 ms/);
    expect(model.findings.some((f) => f.kind === 'coarse-resolution')).toBe(false);
  });

  it('a watch coarser than twice the interval is a finding', () => {
    const model = report([run(900)]);
    const finding = model.findings.find((f) => f.kind === 'coarse-resolution')!;
    expect(finding.severity).toBe('medium');
    expect(finding.message).toMatch(/watched every 900 ms at worst, not every 50 ms/);
  });
});

describe('Markdown report: FAULT-LEFT', () => {
  const runs = monthWithFaultLeft();
  const left = runs[runs.length - 1]!;
  const md = render(
    buildReport(runs, samplesFor(runs), { since, until, generatedAt: new Date(until) }),
    'md',
  );
  const lines = md.split('\n');

  it('opens with a banner naming the run and `firedrill faults`, before the totals', () => {
    const banner = lines.findIndex((l) => l.startsWith('> 🚨'));
    expect(lines[banner]).toBe(
      `> 🚨 **1 run left its fault in place: \`${left.runId}\`.** \`firedrill faults\` lists what is still broken; \`firedrill faults revert <id>\` retries the revert.`,
    );
    expect(banner).toBeLessThan(lines.findIndex((l) => l.startsWith('**15 runs')));
  });

  it('counts it in the summary line and the table, as a failure in the pass rate', () => {
    // 10 MET of 14 scored (15 runs, 1 ABORTED)
    expect(md).toContain(
      '**15 runs of 3 drills: 10 MET, 2 BREACHED, 1 INCONCLUSIVE, 1 ABORTED, 1 FAULT-LEFT — pass rate 71.4%; 7 findings.**',
    );
    expect(md).toContain(
      '| drill | target RTO | target RPO | runs | MET / BREACHED / INCONCLUSIVE / ABORTED / FAULT-LEFT |',
    );
    const row = lines.find((l) => l.startsWith('| kafka-broker-kill |'))!;
    expect(row.split(' | ')[4]).toBe('6 / 1 / 0 / 0 / **1**');
    expect(row.split(' | ')[5]).toBe('75%'); // 6 MET of 8 scored
  });

  it('is the first finding, and the run says what is still in place and what to run', () => {
    const findings = lines.slice(lines.indexOf('## Findings'));
    expect(findings[4]).toBe(
      `| 🚨 **critical** | kafka-broker-kill / leader | \`${left.runId}\` | FAULT-LEFT: run ${left.runId} gave up reverting its fault, which is still in place: ${mdText(FAULT_LEFT_REASON)}. \\\`firedrill faults\\\` lists what is left; \\\`firedrill faults revert \\<id\\>\\\` retries the revert. |`,
    );
    expect(md).toContain(`### ${left.runId} — 🚨 **FAULT-LEFT**`);
    expect(md).toContain(`- **verdict**: 🚨 **FAULT-LEFT** — ${mdText(FAULT_LEFT_REASON)}`);
    expect(md).toContain(
      '- **still in place**: `firedrill faults` lists it; `firedrill faults revert <id>` retries the revert',
    );
    expect(md).toMatch(
      /\| `kafka-broker-kill-leader-20261118T080000-left` \| .* \| leader \| 🚨 \*\*FAULT-LEFT\*\* \|/,
    );
  });

  it('escapes what the reason carries', () => {
    const r = faultLeftRun({ reason: 'broker <b>2</b> | still *down*' });
    const out = render(buildReport([r], samplesFor([r]), { since, until }), 'md');
    expect(out).not.toContain('<b>');
    expect(out).toContain('broker \\<b\\>2\\</b\\> \\| still \\*down\\*');
  });
});
