// The fault journal in PostgreSQL: the results database, which every worker already reaches.
// Each call is one statement (an upsert or an update): nothing holds a connection across a
// fault, so a worker that dies holds nothing but what the rows say.
import pg from 'pg';
import type { Fault } from '../drill/definition.ts';
import { scrubSecrets } from '../util/secrets.ts';
import type {
  EntryOwner,
  EntryUpdate,
  FaultJournal,
  JournalEntry,
  JournalKind,
  LockHolder,
  LockOutcome,
} from './journal.ts';
import { ResultStore } from './store.ts';

interface Row {
  id: string;
  run_id: string;
  entry: string;
  kind: JournalKind;
  target: string;
  workflow_id: string | null;
  drill: string;
  variant: string;
  state: JournalEntry['state'];
  detail: Fault | null;
  t0: Date | null;
  t0_done: Date | null;
  reason: string | null;
  reverts: number;
  input: unknown;
  created_at: Date;
  updated_at: Date;
}

const entryOf = (r: Row): JournalEntry => ({
  id: Number(r.id),
  runId: r.run_id,
  entry: r.entry,
  kind: r.kind,
  target: r.target,
  workflowId: r.workflow_id,
  drill: r.drill,
  variant: r.variant,
  state: r.state,
  detail: r.detail,
  t0: r.t0?.getTime() ?? null,
  t0Done: r.t0_done?.getTime() ?? null,
  reason: r.reason,
  reverts: r.reverts,
  input: r.input,
  createdAt: r.created_at.getTime(),
  updatedAt: r.updated_at.getTime(),
});

const holderOf = (r: {
  target: string;
  run_id: string;
  workflow_id: string | null;
  drill: string;
  taken_at: Date;
}): LockHolder => ({
  target: r.target,
  runId: r.run_id,
  workflowId: r.workflow_id,
  drill: r.drill,
  takenAt: r.taken_at.getTime(),
});

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export class PgFaultJournal implements FaultJournal {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects and brings the schema up to date (the journal's tables come with migration 2). */
  static async connect(url: string): Promise<PgFaultJournal> {
    // The store's connect names an unreachable database and its fix, and migrates.
    await (await ResultStore.connect(url)).close();
    const pool = new pg.Pool({
      connectionString: url,
      max: 4,
      connectionTimeoutMillis: 5_000,
      // A statement that hangs must fail the step (which is retried), never hold it forever.
      statement_timeout: 15_000,
      query_timeout: 20_000,
    });
    pool.on('error', () => {}); // an idle client dropped by the server is not fatal
    return new PgFaultJournal(pool);
  }

  async entries(runId: string): Promise<JournalEntry[]> {
    const res = await this.pool.query<Row>('SELECT * FROM fault_journal WHERE run_id = $1 ORDER BY id', [
      runId,
    ]);
    return res.rows.map(entryOf);
  }

  async entry(runId: string, entry: string): Promise<JournalEntry | undefined> {
    const res = await this.pool.query<Row>('SELECT * FROM fault_journal WHERE run_id = $1 AND entry = $2', [
      runId,
      entry,
    ]);
    return res.rows[0] && entryOf(res.rows[0]);
  }

  async begin(owner: EntryOwner, entry: string, kind: JournalKind): Promise<JournalEntry> {
    await this.pool.query(
      `INSERT INTO fault_journal (run_id, entry, kind, target, workflow_id, drill, variant, state, input)
         VALUES ($1,$2,$3,$4,$5,$6,$7,'planned',$8) ON CONFLICT (run_id, entry) DO NOTHING`,
      [
        owner.runId,
        entry,
        kind,
        owner.target,
        owner.workflowId,
        owner.drill,
        owner.variant,
        JSON.stringify(scrubSecrets(owner.input)),
      ],
    );
    return (await this.entry(owner.runId, entry))!;
  }

  async update(runId: string, entry: string, change: EntryUpdate): Promise<JournalEntry> {
    const res = await this.pool.query<Row>(
      `UPDATE fault_journal SET
           state = COALESCE($3, state),
           detail = COALESCE($4::jsonb, detail),
           t0 = COALESCE($5, t0),
           t0_done = COALESCE($6, t0_done),
           reason = CASE WHEN $7::boolean THEN $8 ELSE reason END,
           reverts = reverts + $9,
           updated_at = now()
         WHERE run_id = $1 AND entry = $2 RETURNING *`,
      [
        runId,
        entry,
        change.state ?? null,
        change.detail === undefined ? null : JSON.stringify(scrubSecrets(change.detail)),
        iso(change.t0),
        iso(change.t0Done),
        change.reason !== undefined,
        change.reason ?? null,
        change.revertAttempt ? 1 : 0,
      ],
    );
    if (!res.rows[0]) throw new Error(`no journal entry ${entry} for run ${runId}`);
    return entryOf(res.rows[0]);
  }

  async unreverted(): Promise<JournalEntry[]> {
    const res = await this.pool.query<Row>(
      `SELECT * FROM fault_journal WHERE state NOT IN ('reverted', 'planned') ORDER BY id`,
    );
    return res.rows.map(entryOf);
  }

  async byId(id: number): Promise<JournalEntry | undefined> {
    const res = await this.pool.query<Row>('SELECT * FROM fault_journal WHERE id = $1', [id]);
    return res.rows[0] && entryOf(res.rows[0]);
  }

  async takeLock(target: string, holder: Omit<LockHolder, 'target' | 'takenAt'>): Promise<LockOutcome> {
    await this.pool.query(
      `INSERT INTO target_locks (target, run_id, workflow_id, drill) VALUES ($1,$2,$3,$4)
         ON CONFLICT (target) DO NOTHING`,
      [target, holder.runId, holder.workflowId, holder.drill],
    );
    const res = await this.pool.query('SELECT * FROM target_locks WHERE target = $1', [target]);
    const row = res.rows[0];
    // Released between the two statements: take it again.
    if (!row) return this.takeLock(target, holder);
    const h = holderOf(row);
    return h.runId === holder.runId ? { taken: true } : { taken: false, holder: h };
  }

  async takeOver(
    target: string,
    staleRunId: string,
    holder: Omit<LockHolder, 'target' | 'takenAt'>,
  ): Promise<LockOutcome> {
    await this.pool.query(
      `UPDATE target_locks SET run_id = $3, workflow_id = $4, drill = $5, taken_at = now()
         WHERE target = $1 AND run_id = $2`,
      [target, staleRunId, holder.runId, holder.workflowId, holder.drill],
    );
    return this.takeLock(target, holder);
  }

  async releaseLock(target: string, runId: string): Promise<void> {
    await this.pool.query('DELETE FROM target_locks WHERE target = $1 AND run_id = $2', [target, runId]);
  }

  async locks(): Promise<LockHolder[]> {
    const res = await this.pool.query('SELECT * FROM target_locks ORDER BY taken_at');
    return res.rows.map(holderOf);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
