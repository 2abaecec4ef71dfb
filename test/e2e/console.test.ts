// The game day as a person sees it, against the calibration target:
// - `firedrill run calibration` in a real pseudo-terminal (tmux): the screen mid-drill and at the end
//   shows the live region (the drill's row, its verdict, the bar) and never a JSON log line, which
//   went to reports/<runId>/worker.log instead;
// - not a terminal, with --verbose: plain phase lines and pino-pretty's lines on stderr, no JSON on
//   stdout;
// - `gameday --repeat 2 --down`: its folder holds the compliance report (every format), a worker.log
//   per run and no nested folder; the HTML path is the last line; chromium draws each run's timeline
//   chart, open by default; the sandbox is stopped.
// Captures of the screen are left in test-artifacts/ (console-mid.txt, console-end.txt).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { leftRunning } from '../../src/cli/after-run.ts';
import { Sandbox } from '../../src/platform/local/sandbox.ts';
import { waitFor } from '../../src/util/wait.ts';
import { firedrill } from './cli.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = resolve('test-artifacts');
const NAME = 'e2e-console';
const TMUX = '/usr/bin/tmux';
const SOCKET = `fd-e2e-console-${process.pid}`;
const reports = mkdtempSync(join(tmpdir(), 'firedrill-e2e-console-'));
const env = {
  FIREDRILL_REPORTS: reports,
  FIREDRILL_LOG_LEVEL: 'info', // plenty of log lines, to show none reaches the screen
  FIREDRILL_DATABASE_URL: undefined,
  FIREDRILL_EXTERNAL_WORKER: undefined,
  TEMPORAL_ADDRESS: undefined,
};
// The tmux server starts with exactly these variables: the CLI in it sees the test's sandbox only.
const tmuxEnv = Object.fromEntries(
  Object.entries({ ...process.env, ...env, TERM: 'xterm-256color' }).filter(
    (e): e is [string, string] => e[1] !== undefined && /^(FIREDRILL_|PATH$|HOME$|TERM$|TMPDIR$)/.test(e[0]),
  ),
);
const tmux = (...args: string[]) =>
  execFileSync(TMUX, ['-L', SOCKET, ...args], { encoding: 'utf8', env: tmuxEnv });
const JSON_LOG = /\{"level"|"msg":|"runId":/;

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    /* never started, or already gone */
  }
  if (Sandbox.exists({ name: NAME })) await firedrill(['sandbox', 'down', '--name', NAME], env);
});

describe('the console as a person sees it', () => {
  it('run in a pseudo-terminal: a live region with the verdict row, no JSON on the screen', async () => {
    if (!existsSync(TMUX)) throw new Error(`${TMUX} is missing: deploy/local/install.sh installs it (tmux)`);
    const command = [
      process.execPath,
      '--import tsx src/cli/main.ts run calibration --option outage=6s --sandbox',
      NAME,
      '; echo "firedrill exited $?"; sleep 600',
    ].join(' ');
    tmux(
      'new-session', '-d', '-s', 'console', '-x', '160', '-y', '45', '-c', ROOT,
      command,
    ); // prettier-ignore
    const screens: string[] = [];
    let mid = '';
    let end = '';
    await waitFor(
      'the CLI to exit in the pseudo-terminal',
      async () => {
        const screen = tmux('capture-pane', '-p', '-J', '-t', 'console');
        screens.push(screen);
        if (!mid && /calibration\/outage\s+recover\s+[\d.]+ s/.test(screen)) mid = screen;
        if (/firedrill exited \d+/.test(screen)) end = screen;
        return end !== '';
      },
      { timeoutMs: 240_000, intervalMs: 250 },
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'console-mid.txt'), mid);
    writeFileSync(join(ARTIFACTS, 'console-end.txt'), end);
    expect(end).toMatch(/firedrill exited 0/);
    expect(mid, 'a screen mid-drill, in the recover phase').not.toBe('');
    expect(mid).toMatch(/^\[█*░+\] 0\/1$/m); // the bar, not done yet
    for (const s of screens) expect(s).not.toMatch(JSON_LOG);
    // The region, redrawn in place: one row for the drill, done with its verdict and markers.
    const rows = end.split('\n').filter((l) => l.startsWith('calibration/outage'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      /^calibration\/outage\s+done\s+[\d.]+ s\s+[·▪×±]+\s+MET\s+T_steady T0 .*T_service/,
    );
    expect(end).toMatch(/^\[█+\] 1\/1$/m);
    expect(end).toMatch(/\bcalibration\s+outage\s+MET\b/); // the verdict table
    expect(end).toMatch(
      /sandbox "e2e-console" is still running .*firedrill sandbox down --name e2e-console/s,
    );
    // The logs went to the run's file, as JSON lines of that run.
    const logFile = /^logs: (\S+worker\.log)$/m.exec(end)?.[1];
    expect(logFile).toBeDefined();
    const lines = readFileSync(logFile!, 'utf8').trim().split('\n');
    const runId = /\/(calibration-outage-[^/]+)\/worker\.log$/.exec(logFile!)?.[1];
    expect(runId).toBeDefined();
    // JSON lines; those of a run name this one (the worker's own start lines name none).
    const parsed = lines.map((l) => JSON.parse(l) as { runId?: string; msg: string });
    expect(parsed.filter((l) => l.runId === runId).map((l) => l.msg)).toEqual(
      expect.arrayContaining(['fault injected', 'fault reverted', 'drill recorded']),
    );
    expect(parsed.filter((l) => l.runId !== undefined && l.runId !== runId)).toEqual([]);
  });

  it('not a terminal, --verbose: plain phase lines and human log lines on stderr, no JSON on stdout', async () => {
    const r = await firedrill(['run', 'calibration', '--sandbox', NAME, '--verbose'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[{}]/);
    expect(r.stderr).toMatch(/^logs: \S+\/calibration-outage-\S+\/worker\.log$/m); // said once, off a terminal too
    expect(r.stdout).toMatch(/\bcalibration\s+outage\s+MET\b/);
    expect(r.stderr).not.toContain('\x1b['); // no redraw (nor colour) off a terminal
    const phases = r.stderr.split('\n').filter((l) => /^calibration\/outage \S+ [\d.]+ s canaries/.test(l));
    expect(phases.map((l) => l.split(' ')[1])).toEqual(
      expect.arrayContaining(['steady-state', 'recover', 'done']),
    );
    expect(new Set(phases.map((l) => l.split(' ')[1])).size).toBe(phases.length); // one line per phase
    expect(r.stderr).toMatch(/^\[[\d:.]+\] INFO\b.*fault injected/m); // pino-pretty's format
    expect(r.stderr).not.toMatch(JSON_LOG);
  });

  it('gameday --repeat 2 --down: the report in its folder, HTML path last, every timeline drawn', async () => {
    const r = await firedrill(
      ['gameday', '--drills', 'calibration', '--repeat', '2', '--sandbox', NAME, '--down'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1)!;
    const html = /^report: (\S+\/report\.html)$/.exec(last)?.[1];
    expect(html, last).toBeDefined();
    const dir = join(html!, '..');
    const entries = readdirSync(dir);
    for (const f of [
      'report.html',
      'report.md',
      'report.json',
      'report.junit.xml',
      'summary.md',
      'summary.json',
    ])
      expect(entries).toContain(f);
    const gameDayId = dir.split('/').at(-1)!;
    expect(entries).not.toContain(gameDayId); // no reports/<id>/<id>/
    const runs = entries.filter((e) => e.startsWith('calibration-outage-'));
    expect(runs).toHaveLength(2);
    for (const run of runs) expect(existsSync(join(dir, run, 'worker.log'))).toBe(true);
    // The repeats' statistics in the summary, from the compliance report's figures.
    expect(r.stdout).toMatch(/^calibration\s+outage\s+2\s+MET MET\s+\S+ m?s\s+\S+ m?s/m);
    expect(r.stderr).toMatch(/sandbox "e2e-console" down: \d+ member\(s\) stopped/);
    expect(leftRunning(NAME)).toBeUndefined(); // --down: nothing of the sandbox runs any more

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`file://${html}`);
      await page.waitForSelector('html[data-charts="ready"]', { timeout: 30_000 });
      const charts = await page.$$eval('details.run[open] .timeline-chart', (els) =>
        els.map((el) => {
          const canvas = el.querySelector('canvas');
          let inked = 0;
          if (canvas && canvas.width && canvas.height) {
            const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
            for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) inked++;
          }
          return { canvas: !!canvas, error: el.classList.contains('chart-error'), inked };
        }),
      );
      expect(charts).toHaveLength(2); // both runs open by default, each with its chart drawn
      for (const c of charts) expect(c).toMatchObject({ canvas: true, error: false });
      for (const c of charts) expect(c.inked).toBeGreaterThan(1000);
      await page.screenshot({ path: join(ARTIFACTS, 'gameday-report.png') });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
