// The alert rules load in Prometheus's own tool (`promtool check rules`, Debian's prometheus
// package) and behave as their unit tests say (`promtool test rules`); the worker's metric names
// pass `promtool check metrics`.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DrillMetrics } from '../../src/metrics/drill-metrics.ts';
import { faultLeftRun, makeRun } from '../unit/report-fixtures.ts';

const DIR = fileURLToPath(new URL('../../deploy/monitoring/', import.meta.url));
const PROMTOOL = '/usr/bin/promtool';
const run = promisify(execFile);

describe('monitoring with promtool', () => {
  it('promtool check rules', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'rules', 'alerts.yml'], { cwd: DIR });
    expect(stdout).toMatch(/SUCCESS: 3 rules found/);
  });

  it('promtool check config (the example scrape configuration, with the rules)', async () => {
    const { stdout } = await run(PROMTOOL, ['check', 'config', 'prometheus.yml'], { cwd: DIR });
    expect(stdout).toMatch(/SUCCESS: prometheus.yml is valid prometheus config file syntax/);
    expect(stdout).toMatch(/SUCCESS: 3 rules found/);
  });

  it('promtool test rules (DrillBreached, FiredrillFaultLeftInPlace, NoMetRunIn7Days)', async () => {
    const { stdout } = await run(PROMTOOL, ['test', 'rules', 'alerts.test.yml'], {
      cwd: DIR,
      timeout: 120_000,
    });
    expect(stdout).toMatch(/SUCCESS/);
  });

  it("promtool check metrics finds nothing to say about firedrill's own metrics", async () => {
    const m = new DrillMetrics();
    m.describeDrills([{ drill: 'calibration', variants: ['outage'], rtoMs: 30_000, rpoMs: 0 }]);
    m.recordResult(makeRun({ drill: 'calibration', variant: 'outage' }));
    m.recordResult(faultLeftRun({ drill: 'calibration', variant: 'outage' }));
    m.setFaultsLeft([{ target: 'calibration', drill: 'calibration', runId: 'r' }]);
    m.observePhase({ runId: 'r', drill: 'calibration', phase: 'recover', seconds: 2, ok: true });
    const res = spawnSync(PROMTOOL, ['check', 'metrics'], {
      input: await m.registry.metrics(),
      encoding: 'utf8',
    });
    const complaints = `${res.stdout}${res.stderr}`.split('\n').filter((l) => l.startsWith('firedrill_'));
    expect(complaints).toEqual([]);
  });
});
