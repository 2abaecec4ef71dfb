// How big a year of nightly game days makes the results database, and how long `firedrill report`
// takes over it. Replays a real game day's records (result.json + canary.jsonl of each run of a
// `firedrill gameday` folder, their times shifted) once a night: first a week, measured and
// extrapolated, then the whole year, measured.
//
//   tsx bench/history-size.ts <reports/gameday-… folder> [more game-day folders, used in turn]
//
// Uses its own sandbox "history-bench" with a fresh history, and takes it down at the end.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { CanarySample, DrillResult } from '../src/measure/types.ts';
import { resultsUrl } from '../src/platform/local/components/results.ts';
import { Sandbox } from '../src/platform/local/sandbox.ts';
import { ResultStore } from '../src/results/store.ts';

const DAY = 86_400_000;
const NAME = 'history-bench';

interface Template {
  result: DrillResult;
  samples: CanarySample[];
}

function templatesOf(gameDay: string): Template[] {
  return readdirSync(gameDay)
    .map((entry) => join(gameDay, entry))
    .filter(
      (dir) => statSync(dir).isDirectory() && statSync(join(dir, 'result.json'), { throwIfNoEntry: false }),
    )
    .map((dir) => ({
      result: JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as DrillResult,
      samples: readFileSync(join(dir, 'canary.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as CanarySample),
    }));
}

const shiftIso = (iso: string | null, by: number) =>
  iso === null ? null : new Date(Date.parse(iso) + by).toISOString();

/** The template's run as if it had happened `by` ms later, under a run id of its own. */
function shifted(t: Template, by: number, night: number): Template {
  const r = t.result;
  const result: DrillResult = {
    ...r,
    runId: `${r.drill}-${r.variant}-night${String(night).padStart(3, '0')}`,
    startedAt: shiftIso(r.startedAt, by)!,
    finishedAt: shiftIso(r.finishedAt, by)!,
    rpo: { ...r.rpo, recoveryPointAt: shiftIso(r.rpo.recoveryPointAt, by) },
    timeline: r.timeline.map((m) => ({ ...m, at: shiftIso(m.at, by)! })),
  };
  return { result, samples: t.samples.map((s) => ({ ...s, at: s.at + by, end: s.end + by })) };
}

async function databaseSize(url: string): Promise<{ database: number; [table: string]: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('VACUUM ANALYZE');
    const tables = await client.query<{ name: string; bytes: string }>(
      `SELECT relname AS name, pg_total_relation_size(relid)::text AS bytes FROM pg_statio_user_tables`,
    );
    const db = await client.query<{ bytes: string }>(
      'SELECT pg_database_size(current_database())::text AS bytes',
    );
    return {
      database: Number(db.rows[0]!.bytes),
      ...Object.fromEntries(tables.rows.map((r) => [r.name, Number(r.bytes)])),
    };
  } finally {
    await client.end();
  }
}

function timeReport(url: string, format: string): { seconds: number; bytes: number; summary: string } {
  const started = performance.now();
  const out = execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'report',
      '--format',
      format,
      '--since',
      '400d',
      '--out',
      `/tmp/history-bench.${format}`,
    ],
    { env: { ...process.env, FIREDRILL_DATABASE_URL: url, FIREDRILL_LOG_LEVEL: 'warn' }, encoding: 'utf8' },
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds: +seconds.toFixed(2),
    bytes: statSync(`/tmp/history-bench.${format}`).size,
    summary: out.trim(),
  };
}

const folders = process.argv.slice(2);
if (!folders.length) throw new Error('give one or more reports/gameday-… folders of a real game day');
const gameDays = folders.map(templatesOf);
const perNight = gameDays[0]!.length;
console.log(
  `templates: ${gameDays.map((g) => g.length).join(', ')} runs; samples per night ≈ ${gameDays[0]!.reduce((s, t) => s + t.samples.length, 0)}`,
);

const sandbox = await Sandbox.up({ name: NAME, only: ['results'], deleteHistory: true });
try {
  const url = resultsUrl(sandbox.component('results'));
  const store = await ResultStore.connect(url);
  const empty = await databaseSize(url);
  const start = Date.now() - 365 * DAY;
  let samples = 0;
  const night = async (n: number) => {
    for (const t of gameDays[n % gameDays.length]!) {
      const base = Date.parse(gameDays[n % gameDays.length]![0]!.result.startedAt);
      const run = shifted(t, start + n * DAY - base, n);
      samples += run.samples.length;
      await store.saveRun(run.result, run.samples, `gameday-night${n}`);
    }
  };
  for (let n = 0; n < 7; n++) await night(n);
  const week = await databaseSize(url);
  const weekGrowth = week.database - empty.database;
  console.log(
    `week: ${7 * perNight} runs, ${samples} samples; database ${empty.database} → ${week.database} bytes`,
  );
  console.log(`  tables: ${JSON.stringify(week)}`);
  console.log(`  extrapolated year: ${((empty.database + (weekGrowth * 365) / 7) / 1e6).toFixed(1)} MB`);
  const weekReport = timeReport(url, 'json');
  console.log(`  report json over the week: ${weekReport.seconds} s (${weekReport.summary})`);

  const t0 = performance.now();
  for (let n = 7; n < 365; n++) await night(n);
  console.log(
    `year inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${365 * perNight} runs, ${samples} samples`,
  );
  await store.close();
  const year = await databaseSize(url);
  console.log(`year: database ${year.database} bytes (${(year.database / 1e6).toFixed(1)} MB)`);
  console.log(`  tables: ${JSON.stringify(year)}`);
  for (const format of ['json', 'md', 'html', 'junit']) {
    const r = timeReport(url, format);
    console.log(
      `  report ${format} over the year: ${r.seconds} s, ${(r.bytes / 1e6).toFixed(1)} MB (${r.summary})`,
    );
  }
} finally {
  await sandbox.down();
}
