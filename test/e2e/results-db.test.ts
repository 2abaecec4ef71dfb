// The results in a PostgreSQL of the team's own (FIREDRILL_DATABASE_URL), started here apart from
// any sandbox: migrated on first use, a database of the previous release's schema opened and
// upgraded, one from a newer firedrill refused untouched, and an export imported into a new
// database giving the same report — twice, adding nothing the second time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../src/measure/types.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/results/migrations.ts';
import { ResultStore } from '../../src/results/store.ts';
import { UserError } from '../../src/util/errors.ts';
import { canarySamples, DAY, EPOCH, makeRun, monthOfRuns } from '../unit/report-fixtures.ts';
import { firedrill } from './cli.ts';
import { startSeparatePostgres, type SeparatePostgres } from './separate-postgres.ts';

const SINCE = new Date(EPOCH - DAY).toISOString();
const UNTIL = new Date(EPOCH + 31 * DAY).toISOString();
const runs: DrillResult[] = monthOfRuns();

let server: SeparatePostgres;
let work: string;

async function sql<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const counts = async (url: string) =>
  (
    await sql<{ runs: number; markers: number; samples: number }>(
      url,
      `SELECT (SELECT count(*)::int FROM runs) AS runs, (SELECT count(*)::int FROM markers) AS markers,
              (SELECT count(*)::int FROM canary_samples) AS samples`,
    )
  )[0]!;

/** The JSON report of a database, without what differs by construction (where, when made). */
async function reportOf(url: string) {
  const res = await firedrill(['report', '--format', 'json', '--since', SINCE, '--until', UNTIL], {
    FIREDRILL_DATABASE_URL: url,
  });
  expect(res.code, res.stderr).toBe(0);
  const { source, generatedAt, ...rest } = JSON.parse(res.stdout) as Record<string, unknown>;
  expect(String(source)).not.toContain(':team-'); // no password
  expect(generatedAt).toBeTruthy();
  return rest;
}

beforeAll(async () => {
  server = await startSeparatePostgres('e2e-results-db');
  work = mkdtempSync(join(tmpdir(), 'firedrill-results-db-'));
});

afterAll(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("results in the team's own PostgreSQL", () => {
  let teamUrl: string;

  it('a new database is migrated on first use — by two workers at once — and the report reads it', async () => {
    teamUrl = await server.createDatabase('team_results');
    const [a, b] = await Promise.all([ResultStore.connect(teamUrl), ResultStore.connect(teamUrl)]);
    try {
      for (const r of runs) await a.saveRun(r, canarySamples(r), `wf-${r.runId}`);
    } finally {
      await a.close();
      await b.close();
    }
    const versions = await sql<{ version: number }>(
      teamUrl,
      'SELECT version FROM schema_migrations ORDER BY 1',
    );
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    const report = await reportOf(teamUrl);
    expect(report.totals).toMatchObject({ runs: runs.length, drills: 3 });
  });

  it("opens a database the previous release wrote (migration 1 only, a record of that release's shape)", async () => {
    const url = await server.createDatabase('previous_release');
    await sql(url, MIGRATIONS[0]!.sql);
    await sql(
      url,
      `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
       INSERT INTO schema_migrations (version, name) VALUES (1, 'runs, markers, canary samples, ledger summary')`,
    );
    // The record as the first release wrote it: none of the fields added since.
    const old = makeRun({
      runId: 'calibration-outage-20261101T080000-0001',
      drill: 'calibration',
      variant: 'outage',
    });
    delete old.rpo.failed;
    delete old.rpo.measured;
    delete old.rpo.recoveryPointSeconds;
    delete old.hypothesis;
    await sql(
      url,
      `INSERT INTO runs (run_id, drill, variant, platform, started_at, finished_at, verdict, target_rto_ms, target_rpo_ms,
         target_source, rto_service_ms, rto_full_ms, rto_detect_ms, unavailable_ms, probe_interval_ms, result)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)`,
      [
        old.runId,
        old.drill,
        old.variant,
        old.platform,
        old.startedAt,
        old.finishedAt,
        old.verdict,
        old.targets.rtoMs,
        old.targets.rpoMs,
        old.targets.source,
        old.rto.serviceMs,
        old.rto.fullMs,
        old.rto.detectMs,
        old.rto.unavailableMs,
        old.rto.probeIntervalMs,
        old,
      ],
    );
    for (const m of old.timeline)
      await sql(url, 'INSERT INTO markers (run_id, marker, at, note) VALUES ($1,$2,$3,$4)', [
        old.runId,
        m.marker,
        m.at,
        m.note ?? null,
      ]);
    for (const s of canarySamples(old))
      await sql(url, 'INSERT INTO canary_samples (run_id, at, end_at, ok, error) VALUES ($1,$2,$3,$4,$5)', [
        old.runId,
        new Date(s.at),
        new Date(s.end),
        s.ok,
        s.error ?? null,
      ]);

    const store = await ResultStore.connect(url);
    try {
      expect(await store.run(old.runId)).toEqual(old);
      expect((await store.canarySamples(old.runId)).length).toBe(canarySamples(old).length);
    } finally {
      await store.close();
    }
    const versions = await sql<{ version: number }>(
      url,
      'SELECT max(version) AS version FROM schema_migrations',
    );
    expect(versions[0]!.version).toBe(LATEST_SCHEMA_VERSION);
    const report = await reportOf(url);
    expect(report.totals).toMatchObject({ runs: 1, met: 1 });
    expect((report.runs as { result: DrillResult }[])[0]!.result.runId).toBe(old.runId);
  });

  it('refuses a database a newer firedrill migrated further, and leaves it as it was', async () => {
    const url = await server.createDatabase('newer_release');
    const newer = LATEST_SCHEMA_VERSION + 1;
    await sql(
      url,
      `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
       INSERT INTO schema_migrations (version, name) VALUES (${newer}, 'from the future')`,
    );
    const err = await ResultStore.connect(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain(
      `has schema version ${newer}, written by a newer firedrill; this one knows versions up to ${LATEST_SCHEMA_VERSION}`,
    );
    const cli = await firedrill(['report', '--format', 'md'], { FIREDRILL_DATABASE_URL: url });
    expect(cli.code).toBe(2);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
    expect(cli.stderr).toMatch(
      /^firedrill: the results database at postgres:\/\/team:\[redacted\]@.* written by a newer firedrill/,
    );
    const tables = await sql<{ n: number }>(
      url,
      "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'runs'",
    );
    expect(tables[0]!.n).toBe(0); // no migration ran
  });

  it('export → a new database → import: the same report, and importing again adds nothing', async () => {
    const exported = await firedrill(['results', 'export', '--since', SINCE], {
      FIREDRILL_DATABASE_URL: teamUrl,
    });
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain(`exported ${runs.length} run(s)`);
    const lines = exported.stdout.trim().split('\n');
    expect(lines).toHaveLength(runs.length + 2); // header, one per run, end
    const file = join(work, 'history.jsonl');
    writeFileSync(file, exported.stdout);

    const newUrl = await server.createDatabase('new_machine');
    const first = await firedrill(['results', 'import', file], { FIREDRILL_DATABASE_URL: newUrl });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      new RegExp(`^imported ${runs.length} run\\(s\\) into .*; 0 already there\\n$`),
    );
    expect(await reportOf(newUrl)).toEqual(await reportOf(teamUrl));
    const after = await counts(newUrl);
    expect(after).toEqual(await counts(teamUrl));

    const again = await firedrill(['results', 'import', file], { FIREDRILL_DATABASE_URL: newUrl });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      new RegExp(`^imported 0 run\\(s\\) into .*; ${runs.length} already there\\n$`),
    );
    expect(await counts(newUrl)).toEqual(after);
    // Nor into the database it came from: every run is already there.
    const back = await firedrill(['results', 'import', file], { FIREDRILL_DATABASE_URL: teamUrl });
    expect(back.stdout).toContain(`imported 0 run(s)`);
  });
});
