import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportAssets } from '../../src/report/assets.ts';
import { VERDICTS } from '../../src/measure/types.ts';
import { buildReport, render } from '../../src/report/index.ts';
import { DAY, EPOCH, monthOfRuns, samplesFor } from './report-fixtures.ts';

const asset = (name: string) =>
  readFileSync(new URL(`../../src/report/assets/${name}`, import.meta.url), 'utf8');

describe('HTML report assets (src/report/assets/)', () => {
  const runs = monthOfRuns();
  const html = render(
    buildReport(runs, samplesFor(runs), { since: EPOCH - DAY, until: EPOCH + 31 * DAY }),
    'html',
  );

  it('inlines the stylesheet and the chart script as they are in their files', () => {
    expect(html).toContain(`<style>${asset('report.css')}</style>`);
    expect(html).toContain(`<script>${asset('report.js')}</script>`);
    expect(reportAssets()).toEqual({ css: asset('report.css'), js: asset('report.js') });
  });

  it('styles and colours every verdict, FAULT-LEFT included', () => {
    const css = asset('report.css');
    const js = asset('report.js');
    const colours = /var VERDICT = \{([^}]*)\}/.exec(js)![1]!;
    for (const v of VERDICTS) {
      const cls = v.toLowerCase();
      expect(css, v).toMatch(new RegExp(`\\.pill\\.${cls} \\{`));
      expect(css, v).toMatch(new RegExp(`details\\.run\\.v-${cls} \\{`));
      expect(css, v).toMatch(new RegExp(`\\.c\\.${cls} \\{`));
      expect(colours, v).toMatch(new RegExp(`(^|[\\s{,])'?${v}'?: '#[0-9a-f]{6}'`));
    }
    expect(css).toMatch(/\.fault-left-banner \{/);
    expect(css).toMatch(/\.sev\.critical \{/);
  });

  it('holds nothing that would open or close an element of the page', () => {
    expect(asset('report.css')).not.toMatch(/<\/?style|<\/?script|<!--/i);
    expect(asset('report.js')).not.toMatch(/<\/?script|<!--/i);
  });
});
