import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportAssets } from '../../src/report/assets.ts';
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

  it('holds nothing that would open or close an element of the page', () => {
    expect(asset('report.css')).not.toMatch(/<\/?style|<\/?script|<!--/i);
    expect(asset('report.js')).not.toMatch(/<\/?script|<!--/i);
  });
});
