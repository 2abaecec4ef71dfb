import { describe, expect, it } from 'vitest';
import { esc, renderHtml, scriptJson, thinSamples } from '../../src/report/html.ts';
import { buildReport, render } from '../../src/report/index.ts';
import {
  DAY,
  EPOCH,
  faultLeftRun,
  makeRun,
  monthOfRuns,
  monthWithFaultLeft,
  samplesFor,
} from './report-fixtures.ts';

const since = EPOCH - DAY;
const until = EPOCH + 31 * DAY;
const dataBlock = (html: string) =>
  /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!;

describe('HTML report', () => {
  const runs = monthOfRuns();
  const html = render(buildReport(runs, samplesFor(runs), { since, until }), 'html');

  it('is one self-contained document: inline CSS and scripts, nothing fetched', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/\b(src|href|action|poster|data)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/src="http/i);
    expect(html).not.toMatch(/url\(\s*['"]?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/<script[^>]+\bsrc=/i);
    expect(html).toContain(
      `content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"`,
    );
    // exactly three scripts: the data, the charting library, the chart code
    expect(html.match(/<script\b/g)).toHaveLength(3);
    expect(html).toContain('var uPlot=function(){');
    expect(html).toMatch(/\.uplot\s*\{/);
  });

  it('has a trend chart per drill and a timeline chart per run, with their data', () => {
    expect(html.match(/class="chart trend-chart"/g)).toHaveLength(3);
    expect(html.match(/class="chart timeline-chart"/g)).toHaveLength(runs.length);
    const data = JSON.parse(dataBlock(html)) as {
      runs: { runId: string; t: number[]; ok: number[]; markers: { m: string }[] }[];
      drills: { name: string; points: unknown[] }[];
    };
    expect(data.drills.map((d) => [d.name, d.points.length])).toEqual([
      ['kafka-broker-kill', 7],
      ['minio-restore', 1],
      ['timescaledb-failover', 5], // the aborted run scored nothing
    ]);
    const first = data.runs[0]!;
    expect(first.runId).toBe(runs[0]!.runId);
    expect(first.markers.map((m) => m.m)).toEqual(['T0', 'T_detect', 'T_service', 'T_full']);
    expect(first.t.length).toBe(samplesFor([runs[0]!]).get(runs[0]!.runId)!.length);
    expect(first.ok).toContain(0);
  });

  it('shows the summary with status colours and the evidence of each run', () => {
    expect(html).toContain('<tr class="status-breached">');
    expect(html).toContain('<tr class="status-met">');
    expect(html).toContain('<span class="pill breached">BREACHED</span>');
    expect(html).toContain('ab12'.repeat(16));
    expect(html).toContain('<th>synchronous_mode</th>');
    expect(html).toContain('seed: HA, &quot;Patroni … &lt; 30s RTO&quot;');
    expect(html).toContain('+3.2 s (+69.6%)');
    expect(html).not.toContain('No findings');
    expect(html).not.toContain('class="fault-left-banner"'); // no run left a fault
  });

  it('escapes a <script> in a reason, a drill name, a note and a config value', () => {
    const evil = '<script>alert("x")</script>';
    const r = makeRun({
      drill: `drill${evil}`,
      verdict: 'BREACHED',
      reason: `reason ${evil} & more`,
      noteOnT0: `note ${evil}`,
      config: { [`key${evil}`]: `value ${evil}`, nested: { v: evil } },
    });
    const out = render(buildReport([r], samplesFor([r]), { since, until }), 'html');
    expect(out).not.toContain('<script>alert');
    expect(out).not.toContain('</script>alert');
    expect(out.match(/<script\b/g)).toHaveLength(3);
    expect(out).toContain('reason &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    expect(out).toContain('drill&lt;script&gt;');
    expect(out).toContain('note &lt;script&gt;');
    expect(out).toContain('<th>key&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</th>');
    expect(out).toContain('value &lt;script&gt;');
    // in the chart data the same text is JSON with <, > escaped, so it cannot end the script element
    expect(dataBlock(out)).toContain('drill\\u003cscript\\u003ealert(\\"x\\")\\u003c/script\\u003e');
    expect(JSON.parse(dataBlock(out)).drills[0].name).toBe(`drill${evil}`);
  });

  it('never prints a password from a URL, nor the value of a credential key', () => {
    const r = makeRun({
      config: {
        endpoint: 'postgres://firedrill:s3cr3t@127.0.0.1:5432/db',
        rootPassword: 'hunter2',
        secretKey: 'abc',
      },
    });
    for (const format of ['html', 'md', 'json', 'junit'] as const) {
      const out = render(
        buildReport([r], samplesFor([r]), { since, until, source: 'postgresql://u:pw123@host/db' }),
        format,
      );
      expect(out, format).not.toContain('s3cr3t');
      expect(out, format).not.toContain('hunter2');
      expect(out, format).not.toContain('pw123');
      if (format !== 'junit') expect(out, format).toContain('firedrill:[redacted]@127.0.0.1');
    }
  });

  it('an empty period renders a page that says so', () => {
    const out = renderHtml(buildReport([], new Map(), { since, until, drill: 'kafka-broker-kill' }));
    expect(out).toContain('No runs in this period for drill <strong>kafka-broker-kill</strong>.');
    expect(out).not.toContain('class="chart');
    expect(JSON.parse(dataBlock(out))).toEqual({ runs: [], drills: [] });
  });

  it('escaping helpers', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(scriptJson({ s: '</script><!-- &\u2028' })).toBe(
      '{"s":"\\u003c/script\\u003e\\u003c!-- \\u0026\\u2028"}',
    );
  });

  it('thins very long sample series but keeps every failure and state change', () => {
    const samples = Array.from({ length: 50_000 }, (_, i) => ({
      at: i,
      end: i + 1,
      ok: !(i >= 20_000 && i < 20_100),
    }));
    const kept = thinSamples(samples, 1_000);
    expect(kept.length).toBeLessThanOrEqual(1_001);
    expect(kept.filter((s) => !s.ok)).toHaveLength(100);
    expect(kept.some((s) => s.at === 19_999)).toBe(true);
    expect(kept.some((s) => s.at === 20_100)).toBe(true);
    expect(kept[0]!.at).toBe(0);
    expect(kept[kept.length - 1]!.at).toBe(49_999);
    expect(thinSamples(samples.slice(0, 10), 1_000)).toHaveLength(10);
  });
});

describe('HTML report: which runs open', () => {
  const runs = monthOfRuns();
  const opened = (html: string) => (html.match(/<details class="run [^"]*" id="r\d+" open>/g) ?? []).length;
  const total = (html: string) => (html.match(/<details class="run /g) ?? []).length;
  it('opens only the runs that were not MET by default, and every run for a game day', () => {
    const plain = render(buildReport(runs, samplesFor(runs), { since, until }), 'html');
    const notMet = runs.filter((r) => r.verdict !== 'MET').length;
    expect(opened(plain)).toBe(notMet);
    expect(notMet).toBeLessThan(runs.length);
    const gameDay = render(buildReport(runs, samplesFor(runs), { since, until, openRuns: true }), 'html');
    expect(opened(gameDay)).toBe(total(gameDay));
    expect(total(gameDay)).toBe(runs.length);
  });
});

describe('HTML report: FAULT-LEFT is loud', () => {
  const runs = monthWithFaultLeft();
  const left = runs[runs.length - 1]!;
  const html = render(buildReport(runs, samplesFor(runs), { since, until }), 'html');
  const index = runs
    .slice()
    .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt))
    .findIndex((r) => r.runId === left.runId);

  it('opens the page with an alert banner linking the run and naming `firedrill faults`', () => {
    const banner = /<div class="fault-left-banner" role="alert">([\s\S]*?)<\/div>/.exec(html)![1]!;
    expect(banner).toContain('1 run left its fault in place:');
    expect(banner).toContain(`<a class="mono" href="#r${index}">${left.runId}</a>`);
    expect(banner).toContain('<code>firedrill faults</code>');
    expect(banner).toContain('<code>firedrill faults revert &lt;id&gt;</code>');
    expect(html.indexOf('class="fault-left-banner"')).toBeLessThan(html.indexOf('<div class="tiles">'));
  });

  it('has its own tile, counts and summary status', () => {
    expect(html).toMatch(
      /<div class="tile t-fault-left"><div class="k">FAULT-LEFT<\/div><div class="v">1<\/div>/,
    );
    expect(html).toContain('<div class="sub">1 critical, 3 high</div>');
    expect(html).toContain('<span class="c fault-left loud" title="FAULT-LEFT">1</span>');
    expect(html).toContain('<tr class="status-fault-left">'); // kafka-broker-kill, though it also breached
    expect(html).toContain('>M / B / I / A / F</th>');
  });

  it('shows its run with its own pill and frame, open, the reason first, and the finding first', () => {
    expect(html).toContain('<span class="pill fault-left">FAULT-LEFT</span>');
    expect(html).toContain(`<details class="run v-fault-left" id="r${index}" open>`);
    expect(html).toMatch(
      new RegExp(`<p class="reason" role="alert">FAULT-LEFT: run ${left.runId} gave up reverting its fault`),
    );
    const firstFinding = /<tbody>\s*<tr class="sev-(\w+)">[\s\S]*?<td>(fault-left|[\w-]+)<\/td>/.exec(
      html.slice(html.indexOf('<table class="findings">')),
    )!;
    expect(firstFinding.slice(1)).toEqual(['critical', 'fault-left']);
    expect(html).toContain('<span class="sev critical">critical</span>');
  });

  it('is in the trend chart, with a legend entry', () => {
    const data = JSON.parse(dataBlock(html)) as {
      drills: { name: string; points: { verdict: string; runId: string }[] }[];
    };
    const kafka = data.drills.find((d) => d.name === 'kafka-broker-kill')!;
    expect(kafka.points.find((p) => p.runId === left.runId)?.verdict).toBe('FAULT-LEFT');
    expect(html.match(/<span class="c fault-left">● FAULT-LEFT<\/span>/g)).toHaveLength(3);
  });

  it('escapes what the reason carries', () => {
    const r = faultLeftRun({ reason: 'broker <script>alert(1)</script> & "2" still down' });
    const out = render(buildReport([r], samplesFor([r]), { since, until }), 'html');
    expect(out).not.toContain('<script>alert');
    expect(out).toContain('broker &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;2&quot; still down');
    expect(out.match(/<script\b/g)).toHaveLength(3);
  });
});
