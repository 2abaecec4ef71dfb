// Administrative SQL on a TimescaleDB (PostgreSQL) server, on a connected superuser client: the
// application role and database, and where an archive recovery stopped.
import type pg from 'pg';
import type { Credentials } from './names.ts';
import { hex8, parentTimeline, parseSegmentSize, walSegmentName } from './wal.ts';

/** Creates (or re-passwords) the application role and creates its database (idempotent). */
export async function ensureAppDatabase(client: pg.Client, app: Credentials['app']): Promise<void> {
  // The password is in the statement text: keep it out of the server log even if it fails.
  await client.query("SET log_statement = 'none'; SET log_min_error_statement = 'panic'");
  const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [app.username]);
  const verb = role.rowCount ? 'ALTER' : 'CREATE';
  await client.query(
    `${verb} ROLE ${client.escapeIdentifier(app.username)} LOGIN PASSWORD ${client.escapeLiteral(app.password)}`,
  );
  const db = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [app.database]);
  if (!db.rowCount)
    await client.query(
      `CREATE DATABASE ${client.escapeIdentifier(app.database)} OWNER ${client.escapeIdentifier(app.username)}`,
    );
}

/** Where a finished archive recovery (ended with promotion) stopped replaying. */
export interface ReplayEnd {
  /** Commit time of the last transaction replayed (the recovery point), epoch ms. */
  lastReplayedCommitAt: number | null;
  /** Last WAL position replayed, the timeline it was on, and its segment. */
  replayLsn: string;
  replayTimeline: number;
  replaySegment: string;
  /** The timeline the server continues on (a new one: recovery ended with promotion). */
  newTimeline: number;
  walSegmentSizeBytes: number;
}

/** Undefined while the server is still in recovery; where replay stopped once it has promoted. */
export async function replayEnd(client: pg.Client): Promise<ReplayEnd | undefined> {
  const { rows } = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
  if (rows[0]!.r) return undefined;
  const q = await client.query<{ at: Date | null; lsn: string; wal: string; seg: string }>(
    `SELECT pg_last_xact_replay_timestamp() AS at, pg_last_wal_replay_lsn()::text AS lsn,
            pg_walfile_name(pg_current_wal_lsn()) AS wal, current_setting('wal_segment_size') AS seg`,
  );
  const row = q.rows[0]!;
  const newTimeline = parseInt(row.wal.slice(0, 8), 16);
  // The new timeline's history file names the timeline recovery replayed (its parent).
  const history = await client.query<{ text: string }>('SELECT pg_read_file($1) AS text', [
    `pg_wal/${hex8(newTimeline)}.history`,
  ]);
  const replayTimeline = parentTimeline(history.rows[0]!.text);
  const segmentSize = parseSegmentSize(row.seg);
  return {
    lastReplayedCommitAt: row.at ? row.at.getTime() : null,
    replayLsn: row.lsn,
    replayTimeline,
    replaySegment: walSegmentName(replayTimeline, row.lsn, segmentSize),
    newTimeline,
    walSegmentSizeBytes: segmentSize,
  };
}
