// The HTML compliance report in a real browser (Debian's chromium through playwright-core): it loads
// with no console or page errors, fetches nothing, draws every chart, runs no injected script, and
// leaves screenshots in test-artifacts/ for a person to look at (report.png: the first screen;
// report-full.png: the whole page; report-run.png: one breached run with its timeline chart).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, render } from '../../src/report/index.ts';
import { DAY, EPOCH, makeRun, monthOfRuns, samplesFor } from '../unit/report-fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('HTML report in chromium', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];
  const dialogs: string[] = [];
  const runs = [
    ...monthOfRuns(),
    makeRun({
      drill: 'timescaledb-failover',
      variant: 'kill-primary',
      start: EPOCH + 30 * DAY,
      serviceMs: null,
      verdict: 'BREACHED',
      targetRtoMs: 30_000,
      targetRpoMs: null,
      source: 'seed: HA, "Patroni … < 30s RTO"',
      reason:
        'not recovered within the 60 s deadline <script>alert("xss")</script><img src=x onerror=alert(1)>',
      noteOnT0: 'kill -9 <b>patroni</b>',
    }),
  ];
  const file = join(ARTIFACTS, 'report.html');

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const model = buildReport(runs, samplesFor(runs), {
      since: EPOCH - DAY,
      until: EPOCH + 31 * DAY,
      generatedAt: new Date(EPOCH + 31 * DAY),
    });
    writeFileSync(file, render(model, 'html'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => {
      // (the one warning allowed is Chromium's hint about this test's own getImageData reads)
      if (m.type() === 'error' || (m.type() === 'warning' && !m.text().includes('willReadFrequently'))) {
        problems.push(`console ${m.type()}: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(`file://${file}`);
    await page.waitForSelector('html[data-charts="ready"]', { timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no console errors, no page errors, no network and no injected script', async () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(await page.locator('img').count()).toBe(0); // the <img onerror> in the reason stayed text
    await expect(
      page.locator('p.reason', { hasText: '<script>alert("xss")</script>' }).count(),
    ).resolves.toBe(1);
  });

  it('draws the trend chart of every drill and the timeline of every open run', async () => {
    await page.screenshot({ path: join(ARTIFACTS, 'report.png') }); // the first screen a reader sees
    await page.screenshot({ path: join(ARTIFACTS, 'report-full.png'), fullPage: true });
    const trends = await chartSizes(page, '.trend-chart');
    expect(trends).toHaveLength(3);
    for (const c of trends) expect(c).toMatchObject({ canvas: true, error: false });
    for (const c of trends) expect(c.width * c.height).toBeGreaterThan(300 * 150);
    for (const c of trends) expect(c.inked).toBeGreaterThan(1000);
    const open = await chartSizes(page, 'details.run[open] .timeline-chart');
    expect(open.length).toBe(runs.filter((r) => r.verdict !== 'MET').length);
    for (const c of open) expect(c).toMatchObject({ canvas: true, error: false });
    for (const c of open) expect(c.inked).toBeGreaterThan(1000);
    // runs folded away are drawn only when opened
    const closed = await chartSizes(page, 'details.run:not([open]) .timeline-chart');
    expect(closed.length).toBe(runs.length - open.length);
    for (const c of closed) expect(c.canvas).toBe(false);
  });

  it('draws every timeline once all runs are expanded, each with its marker lines', async () => {
    await page.click('#expand-all');
    await page.waitForTimeout(200);
    const all = await chartSizes(page, '.timeline-chart');
    expect(all).toHaveLength(runs.length);
    for (const c of all) expect(c).toMatchObject({ canvas: true, error: false });
    for (const c of all) expect(c.width * c.height).toBeGreaterThan(300 * 150);
    for (const c of all) expect(c.inked).toBeGreaterThan(1000);
    const breach = page.locator('details.run.v-breached').first();
    await breach.scrollIntoViewIfNeeded();
    await breach.screenshot({ path: join(ARTIFACTS, 'report-run.png') });
    expect(problems).toEqual([]);
  });

  it('keeps the charts drawn after a resize', async () => {
    await page.setViewportSize({ width: 900, height: 1000 });
    await page.waitForTimeout(400);
    const all = await chartSizes(page, '.chart');
    for (const c of all) expect(c.width).toBeLessThan(900);
    for (const c of all) expect(c.width).toBeGreaterThan(300);
    expect(problems).toEqual([]);
  });
});

interface ChartState {
  canvas: boolean;
  error: boolean;
  width: number;
  height: number;
  /** Pixels with any paint on them. */
  inked: number;
}

function chartSizes(page: Page, selector: string): Promise<ChartState[]> {
  return page.$$eval(selector, (els) =>
    els.map((el) => {
      const canvas = el.querySelector('canvas');
      const box = canvas?.getBoundingClientRect();
      let inked = 0;
      if (canvas && canvas.width && canvas.height) {
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) inked++;
      }
      return {
        canvas: !!canvas,
        error: el.classList.contains('chart-error'),
        width: box?.width ?? 0,
        height: box?.height ?? 0,
        inked,
      };
    }),
  );
}
