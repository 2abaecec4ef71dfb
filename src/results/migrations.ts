// Schema of the results database, as ordered migrations. Append new ones; never edit old ones.
// They only add (tables, columns, indexes): never DROP, DELETE, TRUNCATE or RENAME, since the
// database is the compliance history (test/unit/migrations.test.ts checks). A database whose
// version is above LATEST_SCHEMA_VERSION was written by a newer firedrill and is refused.
export const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'runs, markers, canary samples, ledger summary',
    sql: `
      CREATE TABLE runs (
        run_id            text PRIMARY KEY,
        drill             text NOT NULL,
        variant           text NOT NULL,
        platform          text NOT NULL,
        started_at        timestamptz NOT NULL,
        finished_at       timestamptz NOT NULL,
        verdict           text NOT NULL CHECK (verdict IN ('MET','BREACHED','ABORTED','INCONCLUSIVE')),
        reason            text,
        target_rto_ms     bigint NOT NULL,
        target_rpo_ms     bigint,
        target_source     text NOT NULL,
        rto_service_ms    bigint,
        rto_full_ms       bigint,
        rto_detect_ms     bigint,
        unavailable_ms    bigint,
        probe_interval_ms integer NOT NULL,
        workflow_id       text,
        result            jsonb NOT NULL
      );
      CREATE INDEX runs_drill_started ON runs (drill, started_at);
      CREATE TABLE markers (
        run_id text NOT NULL REFERENCES runs ON DELETE CASCADE,
        marker text NOT NULL,
        at     timestamptz NOT NULL,
        note   text
      );
      CREATE INDEX markers_run ON markers (run_id);
      CREATE TABLE canary_samples (
        run_id text NOT NULL REFERENCES runs ON DELETE CASCADE,
        at     timestamptz NOT NULL,
        end_at timestamptz NOT NULL,
        ok     boolean NOT NULL,
        error  text
      );
      CREATE INDEX canary_samples_run ON canary_samples (run_id, at);
      CREATE TABLE ledger_summary (
        run_id            text PRIMARY KEY REFERENCES runs ON DELETE CASCADE,
        acked             integer NOT NULL,
        lost              integer NOT NULL,
        corrupted         integer NOT NULL,
        recovered         integer NOT NULL,
        unknown           integer NOT NULL,
        unexpected        integer NOT NULL,
        duplicated        integer NOT NULL,
        rpo_seconds       double precision,
        non_prefix        boolean NOT NULL,
        recovery_point_at timestamptz,
        ledger_sha256     text
      );`,
  },
  {
    version: 2,
    name: 'fault journal, target locks, verdict FAULT-LEFT',
    // The journal is the one record of what a drill did to a system that every worker shares: a
    // retry on any machine reads it before it could inject again. The lock says who holds a
    // target until its revert is recorded. A CHECK is widened by replacing it in one statement.
    sql: `
      CREATE TABLE fault_journal (
        id          bigserial PRIMARY KEY,
        run_id      text NOT NULL,
        entry       text NOT NULL,
        kind        text NOT NULL CHECK (kind IN ('fault','preparation')),
        target      text NOT NULL,
        workflow_id text,
        drill       text NOT NULL,
        variant     text NOT NULL,
        state       text NOT NULL CHECK (state IN ('planned','firing','fired','reverting','reverted','left')),
        detail      jsonb,
        t0          timestamptz,
        t0_done     timestamptz,
        reason      text,
        reverts     integer NOT NULL DEFAULT 0,
        input       jsonb NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now(),
        UNIQUE (run_id, entry)
      );
      CREATE INDEX fault_journal_unreverted ON fault_journal (updated_at) WHERE state <> 'reverted';
      CREATE TABLE target_locks (
        target      text PRIMARY KEY,
        run_id      text NOT NULL,
        workflow_id text,
        drill       text NOT NULL,
        taken_at    timestamptz NOT NULL DEFAULT now()
      );
      ALTER TABLE runs DROP CONSTRAINT runs_verdict_check,
        ADD CONSTRAINT runs_verdict_check
        CHECK (verdict IN ('MET','BREACHED','ABORTED','INCONCLUSIVE','FAULT-LEFT'));`,
  },
  {
    version: 3,
    name: 'run evidence shared by every worker',
    // The ledger, canary and marker lines of a run in flight, in chunks as each worker writes
    // them: the steps of one run may run on workers with different disks, and the one that
    // verifies or records must see what the others wrote.
    sql: `
      CREATE TABLE run_evidence (
        id      bigserial PRIMARY KEY,
        run_id  text NOT NULL,
        stream  text NOT NULL CHECK (stream IN ('ledger','canary','markers')),
        worker  text NOT NULL,
        lines   text NOT NULL,
        at      timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX run_evidence_run ON run_evidence (run_id, stream, id);`,
  },
];

/** The schema version this build writes and understands. */
export const LATEST_SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
