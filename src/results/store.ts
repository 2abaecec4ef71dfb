// The results database (PostgreSQL via pg): migrations, and one transaction per drill run.
import pg from 'pg';
import type { CanarySample, DrillResult, Marker } from '../measure/types.ts';
import { UserError } from '../util/errors.ts';
import { scrubUrl } from '../util/log.ts';
import { scrubSecrets } from '../util/secrets.ts';
import { redact } from '../report/index.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';

/** A run as the database holds it: what an archive carries, line by line. */
export interface StoredRun {
  result: DrillResult;
  workflowId: string | null;
  markers: Marker[];
  samples: CanarySample[];
}

/** What importing one run did: added, already there as it is, or already there and different. */
export type ImportOutcome = 'added' | 'present' | 'differs';

export class ResultStore {
  private constructor(
    private readonly pool: pg.Pool,
    /** The database's URL without its password, for messages. */
    readonly source: string,
  ) {}

  static async connect(url: string): Promise<ResultStore> {
    const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => {}); // an idle client dropped by the server is not fatal
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => {});
      throw new UserError(
        `the results database at ${scrubUrl(url)} is unreachable (${(err as Error).message})`,
        'start the sandbox (`firedrill sandbox up`) or set FIREDRILL_DATABASE_URL to a reachable PostgreSQL',
      );
    }
    const store = new ResultStore(pool, scrubUrl(url));
    try {
      await store.migrate();
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    return store;
  }

  /**
   * Brings the schema to this build's version: each missing migration in its own transaction, in
   * order, under an advisory lock (two workers never migrate at once). Migrations only add (a unit
   * test holds them to it). A database some newer firedrill migrated further is refused untouched:
   * this build cannot know what its rows mean.
   */
  async migrate(): Promise<number[]> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock(727274)');
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      const newest = Math.max(0, ...done);
      if (newest > LATEST_SCHEMA_VERSION) {
        throw new UserError(
          `the results database at ${this.source} has schema version ${newest}, written by a newer firedrill; this one knows versions up to ${LATEST_SCHEMA_VERSION}`,
          'upgrade firedrill to the release that wrote it, or point FIREDRILL_DATABASE_URL at another database',
        );
      }
      const applied: number[] = [];
      for (const m of MIGRATIONS.filter((m) => !done.has(m.version))) {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        await client.query('COMMIT');
        applied.push(m.version);
      }
      return applied;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      await client.query('SELECT pg_advisory_unlock(727274)').catch(() => {});
      client.release();
    }
  }

  /** Stores a run; recording the same run again (a retried activity) replaces it. */
  async saveRun(run: DrillResult, canaries: CanarySample[], workflowId?: string): Promise<void> {
    // The table is a place a secret could first be written (a reason quoting an error, a sample's
    // error message): every shape is scrubbed on the way in.
    const [result, samples] = [scrubSecrets(run), scrubSecrets(canaries)];
    const markers = result.timeline.map((m) => ({
      marker: m.marker,
      at: Date.parse(m.at),
      ...(m.note !== undefined ? { note: m.note } : {}),
    }));
    await this.transaction(async (client) => {
      await client.query('DELETE FROM runs WHERE run_id = $1', [result.runId]);
      await insertRun(client, { result, workflowId: workflowId ?? null, markers, samples });
    });
  }

  /**
   * Adds a run from an archive unless the database has it: an import never replaces or deletes
   * what was recorded here, so importing the same archive twice adds nothing.
   */
  async importRun(run: StoredRun): Promise<ImportOutcome> {
    return this.transaction(async (client) => {
      const existing = await client.query<{ result: DrillResult }>(
        'SELECT result FROM runs WHERE run_id = $1 FOR UPDATE',
        [run.result.runId],
      );
      const here = existing.rows[0]?.result;
      if (!here) {
        // An archive may come from anywhere: scrubbed on the way in like a recorded run.
        await insertRun(client, scrubSecrets(run));
        return 'added';
      }
      // An archive carries records with credentials redacted: the same run either way.
      const incoming = canonicalJson(run.result);
      return canonicalJson(here) === incoming || canonicalJson(redact(here)) === incoming
        ? 'present'
        : 'differs';
    });
  }

  /** A run with everything stored about it, as an archive carries it. */
  async storedRun(result: DrillResult): Promise<StoredRun> {
    const row = await this.pool.query<{ workflow_id: string | null }>(
      'SELECT workflow_id FROM runs WHERE run_id = $1',
      [result.runId],
    );
    const markers = await this.pool.query<{ marker: string; at: Date; note: string | null }>(
      'SELECT marker, at, note FROM markers WHERE run_id = $1 ORDER BY at, marker',
      [result.runId],
    );
    return {
      result,
      workflowId: row.rows[0]?.workflow_id ?? null,
      markers: markers.rows.map((m) => ({
        marker: m.marker,
        at: m.at.getTime(),
        ...(m.note !== null ? { note: m.note } : {}),
      })),
      samples: await this.canarySamples(result.runId),
    };
  }

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await work(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async runs(filter: { since?: Date; drill?: string } = {}): Promise<DrillResult[]> {
    const res = await this.pool.query<{ result: DrillResult }>(
      `SELECT result FROM runs WHERE ($1::timestamptz IS NULL OR started_at >= $1) AND ($2::text IS NULL OR drill = $2) ORDER BY started_at`,
      [filter.since ?? null, filter.drill ?? null],
    );
    return res.rows.map((r) => r.result);
  }

  async run(runId: string): Promise<DrillResult | undefined> {
    return (
      await this.pool.query<{ result: DrillResult }>('SELECT result FROM runs WHERE run_id = $1', [runId])
    ).rows[0]?.result;
  }

  async canarySamples(runId: string): Promise<CanarySample[]> {
    return (await this.canarySamplesOf([runId])).get(runId)!;
  }

  /**
   * The canary samples of many runs, a few hundred runs per query, each run's as one JSON array
   * built by the server: a row per sample, its timestamps parsed in JavaScript, was most of a
   * year's report (2,190 runs, 1.04 M samples: 7.6 s of 11).
   */
  async canarySamplesOf(runIds: readonly string[]): Promise<Map<string, CanarySample[]>> {
    const out = new Map<string, CanarySample[]>(runIds.map((id) => [id, []]));
    for (let i = 0; i < runIds.length; i += 250) {
      const res = await this.pool.query<{
        run_id: string;
        samples: [number, number, boolean, string | null][];
      }>(
        `SELECT run_id, json_agg(json_build_array(
                  (extract(epoch FROM at) * 1000)::bigint, (extract(epoch FROM end_at) * 1000)::bigint, ok, error
                ) ORDER BY at) AS samples
           FROM canary_samples WHERE run_id = ANY($1) GROUP BY run_id`,
        [runIds.slice(i, i + 250)],
      );
      for (const r of res.rows) {
        out.set(
          r.run_id,
          r.samples.map(([at, end, ok, error]) => (error ? { at, end, ok, error } : { at, end, ok })),
        );
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** JSON with keys sorted: jsonb does not keep the order a record was written in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** One run into every table, inside the caller's transaction. */
async function insertRun(client: pg.PoolClient, run: StoredRun): Promise<void> {
  const { result, workflowId, markers, samples } = run;
  await client.query(
    `INSERT INTO runs (run_id, drill, variant, platform, started_at, finished_at, verdict, reason, target_rto_ms,
         target_rpo_ms, target_source, rto_service_ms, rto_full_ms, rto_detect_ms, unavailable_ms, probe_interval_ms, workflow_id, result)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)`,
    [
      result.runId,
      result.drill,
      result.variant,
      result.platform,
      result.startedAt,
      result.finishedAt,
      result.verdict,
      result.reason ?? null,
      result.targets.rtoMs,
      result.targets.rpoMs,
      result.targets.source,
      result.rto.serviceMs,
      result.rto.fullMs,
      result.rto.detectMs,
      result.rto.unavailableMs,
      result.rto.probeIntervalMs,
      workflowId,
      result,
    ],
  );
  for (const m of markers) {
    await client.query('INSERT INTO markers (run_id, marker, at, note) VALUES ($1,$2,$3,$4)', [
      result.runId,
      m.marker,
      iso(m.at),
      m.note ?? null,
    ]);
  }
  if (samples.length) {
    await client.query(
      `INSERT INTO canary_samples (run_id, at, end_at, ok, error)
         SELECT $1, * FROM unnest($2::timestamptz[], $3::timestamptz[], $4::boolean[], $5::text[])`,
      [
        result.runId,
        samples.map((s) => iso(s.at)),
        samples.map((s) => iso(s.end)),
        samples.map((s) => s.ok),
        samples.map((s) => s.error ?? null),
      ],
    );
  }
  const r = result.rpo;
  await client.query(
    `INSERT INTO ledger_summary (run_id, acked, lost, corrupted, recovered, unknown, unexpected, duplicated, rpo_seconds,
         non_prefix, recovery_point_at, ledger_sha256) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
    [
      result.runId,
      r.acked,
      r.lost,
      r.corrupted,
      r.recovered,
      r.unknown,
      r.unexpected,
      r.duplicated,
      r.seconds,
      r.nonPrefix,
      r.recoveryPointAt,
      result.evidence.ledgerSha256,
    ],
  );
}
