// `firedrill report` against a real results database: a PostgreSQL from the sandbox, fixture runs
// saved through ResultStore.saveRun, then the report read back — through reportFromStore and through
// the CLI itself in every format — plus an empty period and an unreachable database.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportFromStore } from '../../src/cli/report.ts';
import type { DrillResult } from '../../src/measure/types.ts';
import { resultsUrl } from '../../src/platform/local/components/results.ts';
import { ResultStore } from '../../src/results/store.ts';
import { canarySamples, DAY, EPOCH, makeRun, monthOfRuns } from '../unit/report-fixtures.ts';
import { firedrill } from './cli.ts';
import { useSandbox } from './sandbox-harness.ts';

const NAME = 'e2e-report';
const sb = useSandbox(NAME, ['results']);

const SINCE = new Date(EPOCH - DAY).toISOString();
const UNTIL = new Date(EPOCH + 31 * DAY).toISOString();

/** `firedrill report …` as a separate process. */
const cli = (args: string[], env: Record<string, string | undefined>) => firedrill(['report', ...args], env);

describe('firedrill report over the results database', () => {
  let store: ResultStore;
  let url: string;
  let out: string;
  const old = makeRun({
    runId: 'kafka-broker-kill-leader-before-the-period',
    start: EPOCH - 20 * DAY,
    serviceMs: 3000,
    targetRtoMs: 300_000,
  });
  const evil = makeRun({
    drill: 'minio-restore',
    variant: 'kill-2-of-4',
    start: EPOCH + 20 * DAY,
    verdict: 'INCONCLUSIVE',
    reason: 'read-back failed: <script>alert(1)</script>',
    targetRtoMs: 3_600_000,
  });
  const runs: DrillResult[] = [old, ...monthOfRuns(), evil];

  beforeAll(async () => {
    url = resultsUrl(sb.get().component('results'));
    store = await ResultStore.connect(url);
    for (const r of runs) await store.saveRun(r, canarySamples(r));
    out = mkdtempSync(join(tmpdir(), 'firedrill-report-'));
  });

  afterAll(async () => {
    await store?.close();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('builds the model from stored runs: the period, drift from the run before it, raw samples', async () => {
    const model = await reportFromStore(store, {
      since: SINCE,
      until: UNTIL,
      format: 'json',
      now: new Date(UNTIL),
    });
    expect(model.totals).toMatchObject({
      runs: 15,
      drills: 3,
      met: 10,
      breached: 2,
      inconclusive: 2,
      aborted: 1,
    });
    expect(model.runs.some((r) => r.result.runId === old.runId)).toBe(false);
    const first = model.runs.find((r) => r.result.drill === 'kafka-broker-kill')!;
    expect(first.figures.drift).toEqual({
      previousRunId: old.runId,
      previousMs: 3000,
      deltaMs: 1200,
      deltaPct: 40,
    });
    for (const r of model.runs) {
      const saved = canarySamples(runs.find((x) => x.runId === r.result.runId)!);
      expect(r.samples, r.result.runId).toEqual(saved);
    }
    expect(model.findings.filter((f) => f.kind === 'evidence-gap')).toEqual([]);
    const kafka = model.drills.find((d) => d.drill === 'kafka-broker-kill')!;
    expect(kafka.rto).toEqual({ n: 7, min: 3700, median: 4200, p95: 7800, max: 7800 });
  });

  it('the CLI writes every format from the database (FIREDRILL_DATABASE_URL)', async () => {
    const env = { FIREDRILL_DATABASE_URL: url };
    const json = await cli(['--format', 'json', '--since', SINCE, '--until', UNTIL], env);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.totals.runs).toBe(15);
    expect(parsed.source).toMatch(/^postgresql:\/\/127\.0\.0\.1:\d+\/firedrill$/); // no user, no password

    const md = await cli(
      ['--format', 'md', '--since', SINCE, '--until', UNTIL, '--drill', 'timescaledb-failover'],
      env,
    );
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(
      '**6 runs of 1 drill: 3 MET, 1 BREACHED, 1 INCONCLUSIVE, 1 ABORTED, 0 FAULT-LEFT — pass rate 60%',
    );
    expect(md.stdout).not.toContain('kafka-broker-kill');

    const junitFile = join(out, 'report.xml');
    const junit = await cli(
      ['--format', 'junit', '--since', SINCE, '--until', UNTIL, '--out', junitFile],
      env,
    );
    expect(junit.code).toBe(0);
    expect(junit.stdout).toMatch(/^report: .*report\.xml \(15 runs of 3 drills, \d+ findings\)\n$/);
    const xml = readFileSync(junitFile, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(15);
    expect(xml).toContain('message="read-back failed: &lt;script&gt;alert(1)&lt;/script&gt;"');

    const html = await cli(['--format', 'html', '--since', SINCE, '--until', UNTIL], {
      ...env,
      FIREDRILL_REPORTS: out,
    });
    expect(html.code).toBe(0);
    const path = join(out, `compliance-${new Date().toISOString().slice(0, 10)}.html`);
    expect(html.stdout).toContain(path);
    const page = readFileSync(path, 'utf8');
    expect(page).toContain('read-back failed: &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>alert(1)');
    expect(page).not.toContain(url); // the URL with its password
  });

  it('finds the database through --sandbox when no URL is set', async () => {
    const res = await cli(['--format', 'json', '--since', SINCE, '--until', UNTIL, '--sandbox', NAME], {
      FIREDRILL_DATABASE_URL: undefined,
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).totals.runs).toBe(15);
  });

  it("says when a run's evidence folder is missing or its ledger is not the one the record hashed", async () => {
    const ledger = '{"id":0,"key":"k","sha256":"s","tInvoke":1,"tAck":2,"outcome":"ok"}\n';
    const sha = createHash('sha256').update(ledger).digest('hex');
    const later = EPOCH + 60 * DAY;
    const intact = makeRun({ runId: 'evidence-intact', start: later, ledgerSha256: sha });
    const swapped = makeRun({ runId: 'evidence-swapped', start: later + DAY, ledgerSha256: sha });
    const gone = makeRun({ runId: 'evidence-gone', start: later + 2 * DAY, ledgerSha256: sha });
    const reports = join(out, 'evidence');
    for (const [r, content] of [
      [intact, ledger],
      [swapped, ledger.replace('"k"', '"K"')],
    ] as const) {
      mkdirSync(join(reports, 'gameday-x', r.runId), { recursive: true });
      writeFileSync(join(reports, 'gameday-x', r.runId, 'ledger.jsonl'), content);
    }
    for (const r of [intact, swapped, gone]) await store.saveRun(r, canarySamples(r));
    const period = [
      '--since',
      new Date(later - DAY).toISOString(),
      '--until',
      new Date(later + 3 * DAY).toISOString(),
    ];
    const md = await cli(['--format', 'md', ...period], {
      FIREDRILL_DATABASE_URL: url,
      FIREDRILL_REPORTS: reports,
    });
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toContain('present; ledger SHA-256 verified');
    expect(md.stdout).toMatch(
      /\| high \| .*evidence-swapped.*it is not the ledger this result was computed from/,
    );
    expect(md.stdout).toMatch(
      /\| medium \| .*evidence-gone.*evidence folder reports\/evidence-gone\/ is missing/,
    );
  });

  it('an empty period is a report that says so, not an error', async () => {
    const res = await cli(['--format', 'md', '--since', '2020-01-01', '--until', '2020-02-01'], {
      FIREDRILL_DATABASE_URL: url,
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('**No runs in this period.**');
  });

  it('an unreachable database is a one-line error naming it, without its password, exit 2', async () => {
    const res = await cli(['--format', 'md'], {
      FIREDRILL_DATABASE_URL: 'postgres://firedrill:pa55word@127.0.0.1:1/firedrill',
    });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(
      'firedrill: the results database at postgres://firedrill:[redacted]@127.0.0.1:1/firedrill is unreachable',
    );
    expect(res.stderr).not.toContain('pa55word');
  });

  it('a bad --since is refused before the database is touched', async () => {
    const res = await cli(['--format', 'md', '--since', 'last tuesday'], {
      FIREDRILL_DATABASE_URL: 'postgres://x:y@127.0.0.1:1/z',
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--since "last tuesday" is neither a duration nor a date');
  });
});
